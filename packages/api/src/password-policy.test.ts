import { describe, expect, it } from 'vitest';
import { passwordProblem } from './password-policy.js';

const rules = { minLength: 15 };

describe('passwordProblem', () => {
  it.each([
    ['fifteen chars!!', undefined],
    ['短いけど十五文字以上のパスワードです', undefined],
    ['🔐🐙🌵🎲🚲🍋🧩🎈🦉🌙🍄🐝🪁🧭🫖', undefined],
    ['   spaces count too   ', undefined],
  ])('accepts %j (any characters, no composition rules)', (password, expected) => {
    expect(passwordProblem(password, rules)).toBe(expected);
  });

  it('counts characters, not UTF-16 units', () => {
    // 14 emoji are 28 UTF-16 units but only 14 characters.
    expect(passwordProblem('🔐'.repeat(14), rules)?.messageIn('en')).toMatch(/at least 15/);
  });

  it('refuses short, over-long, common and email-derived passwords with a reason', () => {
    expect(passwordProblem('x'.repeat(14), rules)?.messageIn('en')).toMatch(/at least 15/);
    expect(passwordProblem('x'.repeat(257), rules)?.messageIn('en')).toMatch(/at most 256/);
    expect(passwordProblem('correct horse battery staple '.repeat(9).slice(0, 256), rules)).toBeUndefined();
    expect(passwordProblem('PasswordPassword', rules)?.messageIn('en')).toMatch(/too common/);
    expect(passwordProblem('qwerty123456789', rules)?.messageIn('en')).toMatch(/too common/);
    expect(
      passwordProblem('hello ada.lovelace 1815', rules, 'Ada.Lovelace@example.com')?.messageIn('en'),
    ).toMatch(/email/);
  });

  it.each([
    '123456789012345',
    'Password1234567890',
    'aaaaaaaaaaaaaaa',
    'qwertyuiopasdfghjkl',
    'iloveyouiloveyou',
    'abcabcabcabcabcabc',
    '098765432109876',
    'monkey1234567890',
  ])('refuses the predictable %j', (password) => {
    expect(passwordProblem(password, rules)?.messageIn('en')).toMatch(/too common/);
  });

  it.each(['correct horse battery staple', 'Tr0ub4dor&3-extended', 'my cat eats 42 lemons'])(
    'keeps accepting %j',
    (password) => {
      expect(passwordProblem(password, rules)).toBeUndefined();
    },
  );

  // Words from the French list (@zxcvbn-ts/language-fr), not on the breach list: refused only
  // because French is covered too.
  it.each(['Malheureusement', 'Grenouille2024!!', 'framboise1234567', 'coucoucoucou2025'])(
    'refuses the French %j',
    (password) => {
      expect(passwordProblem(password, rules)?.reason).toBe('password_too_common');
    },
  );

  it('words each refusal in English and French', () => {
    const short = passwordProblem('court', rules)!;
    expect(short.messageIn('en')).toBe('Password must be at least 15 characters');
    expect(short.messageIn('fr')).toBe('Le mot de passe doit comporter au moins 15 caractères');
    expect(passwordProblem('Grenouille2024!!', rules)!.messageIn('fr')).toBe(
      'Ce mot de passe est trop courant\u202F; choisissez-en un autre',
    );
    expect(
      passwordProblem('pierre.martin 1974 étés', rules, 'pierre.martin@example.fr')!.messageIn('fr'),
    ).toBe('Le mot de passe ne doit pas contenir votre adresse e-mail');
  });

  it('names each refusal with a stable reason', () => {
    expect(passwordProblem('short', rules)?.reason).toBe('password_too_short');
    expect(passwordProblem('x'.repeat(257), rules)?.reason).toBe('password_too_long');
    expect(passwordProblem('Password1234567890', rules)?.reason).toBe('password_too_common');
    expect(passwordProblem('hello ada.lovelace 1815', rules, 'ada.lovelace@example.com')?.reason).toBe(
      'password_contains_email',
    );
  });

  it('follows the configured minimum', () => {
    expect(passwordProblem('twelve chars', { minLength: 12 })).toBeUndefined();
  });
});
