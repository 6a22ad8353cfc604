import { describe, expect, it } from 'vitest';
import { confirmedPassword, FormProblem } from './forms.js';

function form(entries: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(entries)) data.set(name, value);
  return data;
}

describe('confirmedPassword', () => {
  it('returns the new password when both fields agree', () => {
    expect(
      confirmedPassword(form({ password: 'a long passphrase', confirm: 'a long passphrase' }), 'password'),
    ).toBe('a long passphrase');
  });

  it('reports a mismatch on the confirmation field, before any call to the server', () => {
    let caught: unknown;
    try {
      confirmedPassword(
        form({ newPassword: 'one passphrase', again: 'another one' }),
        'newPassword',
        'again',
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FormProblem);
    expect((caught as FormProblem).errors).toEqual({ fields: { again: 'The two passwords do not match.' } });
  });
});
