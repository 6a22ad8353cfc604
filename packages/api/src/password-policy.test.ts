import { describe, expect, it } from 'vitest';
import { passwordProblem } from './password-policy.js';

const rules = { minLength: 15 };

describe('passwordProblem', () => {
  it.each([
    ['fifteen chars!!', undefined],
    ['短いけど十五文字以上のパスワードです', undefined],
    ['🔐🐙🌵🎲🚲🍋🧩🎈🦉🌙🍄🐝🪁🧭🫖', undefined],
    ['   spaces count too   ', undefined],
  ])('accepts %j (any characters, no composition rules)', async (password, expected) => {
    expect(await passwordProblem(password, rules)).toBe(expected);
  });

  it('counts characters, not UTF-16 units', async () => {
    // 14 emoji are 28 UTF-16 units but only 14 characters.
    expect((await passwordProblem('🔐'.repeat(14), rules))?.messageIn('en')).toMatch(/at least 15/);
  });

  it('refuses short, over-long, common and email-derived passwords with a reason', async () => {
    expect((await passwordProblem('x'.repeat(14), rules))?.messageIn('en')).toMatch(/at least 15/);
    expect((await passwordProblem('x'.repeat(257), rules))?.messageIn('en')).toMatch(/at most 256/);
    expect(
      await passwordProblem('correct horse battery staple '.repeat(9).slice(0, 256), rules),
    ).toBeUndefined();
    expect((await passwordProblem('PasswordPassword', rules))?.messageIn('en')).toMatch(/too common/);
    expect((await passwordProblem('qwerty123456789', rules))?.messageIn('en')).toMatch(/too common/);
    expect(
      (await passwordProblem('hello ada.lovelace 1815', rules, 'Ada.Lovelace@example.com'))?.messageIn('en'),
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
  ])('refuses the predictable %j', async (password) => {
    expect((await passwordProblem(password, rules))?.messageIn('en')).toMatch(/too common/);
  });

  it.each(['correct horse battery staple', 'Tr0ub4dor&3-extended', 'my cat eats 42 lemons'])(
    'keeps accepting %j',
    async (password) => {
      expect(await passwordProblem(password, rules)).toBeUndefined();
    },
  );

  // Words from the French list (@zxcvbn-ts/language-fr), not on the breach list: refused only
  // because French is covered too.
  it.each(['Malheureusement', 'Grenouille2024!!', 'framboise1234567', 'coucoucoucou2025'])(
    'refuses the French %j',
    async (password) => {
      expect((await passwordProblem(password, rules))?.reason).toBe('password_too_common');
    },
  );

  it('words each refusal in English and French', async () => {
    const short = (await passwordProblem('court', rules))!;
    expect(short.messageIn('en')).toBe('Password must be at least 15 characters');
    expect(short.messageIn('fr')).toBe('Le mot de passe doit comporter au moins 15 caractères');
    expect((await passwordProblem('Grenouille2024!!', rules))!.messageIn('fr')).toBe(
      'Ce mot de passe est trop courant\u202F; choisissez-en un autre',
    );
    expect(
      (await passwordProblem('pierre.martin 1974 étés', rules, 'pierre.martin@example.fr'))!.messageIn('fr'),
    ).toBe('Le mot de passe ne doit pas contenir votre adresse e-mail');
  });

  it('names each refusal with a stable reason', async () => {
    expect((await passwordProblem('short', rules))?.reason).toBe('password_too_short');
    expect((await passwordProblem('x'.repeat(257), rules))?.reason).toBe('password_too_long');
    expect((await passwordProblem('Password1234567890', rules))?.reason).toBe('password_too_common');
    expect(
      (await passwordProblem('hello ada.lovelace 1815', rules, 'ada.lovelace@example.com'))?.reason,
    ).toBe('password_contains_email');
  });

  it('follows the configured minimum', async () => {
    expect(await passwordProblem('twelve chars', { minLength: 12 })).toBeUndefined();
  });
});
