import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode, fieldErrors } from '@tessera/client';
import { describe, expect, it } from 'vitest';
import { rejection, startServer, STRONG_PASSWORD, uniqueEmail } from './helpers/harness.js';
import { perFile } from '../helpers/per-file.js';
import { tokensOf } from '../helpers/accounts.js';

const server = perFile(() => startServer());

const register = (password: string, email = uniqueEmail('pw')) =>
  server.client().auth.register.mutate({ name: 'Pass Word', email, password });

const login = (email: string, password: string) =>
  server.client().auth.login.mutate({ email, password }).then(tokensOf);

/** The answer to a sign-up with `password`: OK, or the password's field error. */
async function verdict(password: string, email?: string): Promise<string> {
  try {
    await register(password, email);
    return 'OK';
  } catch (error) {
    return fieldErrors(error)?.password?.[0] ?? errorCode(error) ?? String(error);
  }
}

async function storedHash(email: string): Promise<string> {
  const row = await server.database.db
    .selectFrom('users')
    .select('password_hash')
    .where('email', '=', email)
    .executeTakeFirstOrThrow();
  return row.password_hash!;
}

describe('password policy', () => {
  it('takes 15 to 256 characters and nothing outside that', async () => {
    expect(await verdict('a'.repeat(14).replace(/a/g, (_, i) => 'kxqz'[i % 4]!))).toMatch(/at least 15/);
    expect(await verdict('kxqzwvbnmtrplsd')).toBe('OK');
    expect(await verdict('x'.repeat(128) + 'y'.repeat(128))).toBe('OK');
    expect(await verdict('x'.repeat(128) + 'y'.repeat(129))).toMatch(/at most 256/);
  });

  it('takes any characters — spaces, punctuation, scripts, emoji — and counts code points, not bytes', async () => {
    for (const password of [
      'correct horse  battery staple!',
      "'; DROP TABLE users; -- ok?",
      'пароль на русском языке',
      'كلمة سر طويلة بما يكفي',
      '我的密码是一个很长的句子啊真的',
      'tab\there and newline\nthere',
      'résumé, naïve façade, déjà vu'.normalize('NFD'),
    ])
      expect(await verdict(password), JSON.stringify(password)).toBe('OK');
    // 15 emoji are 15 characters (30 UTF-16 units); 14 are too few however many bytes they take.
    expect(await verdict('🦄🐙🦊🐳🦉🐝🦋🐢🦀🐌🦎🐬🦔🦜')).toMatch(/at least 15/);
    expect(await verdict('🦄🐙🦊🐳🦉🐝🦋🐢🦀🐌🦎🐬🦔🦜🐿')).toBe('OK');
    // 256 distinct emoji (512 UTF-16 units) is the most; one more is refused.
    const emoji = String.fromCodePoint(...Array.from({ length: 257 }, (_, i) => 0x1f400 + i));
    expect(await verdict([...emoji].slice(0, 256).join(''))).toBe('OK');
    expect(await verdict(emoji)).toMatch(/at most 256/);
  });

  it('never trims or truncates: every character of a long password matters', async () => {
    const email = uniqueEmail('long');
    const password = `  ${'abcdefghij'.repeat(25)}xy  `; // 256 characters, spaces at both ends
    expect(password).toHaveLength(256);
    await register(password, email);
    expect((await login(email, password)).user.email).toBe(email);
    const near = [
      password.trim(),
      password.slice(0, 255),
      password.slice(0, 72), // where bcrypt stops reading
      password.slice(0, 128),
      `${password.slice(0, 255)}z`,
    ];
    for (const attempt of near)
      expect(errorCode(await rejection(login(email, attempt))), JSON.stringify(attempt.slice(-4))).toBe(
        'UNAUTHORIZED',
      );
  });

  it('refuses common and breached passwords from the shipped list, in any letter case', async () => {
    for (const password of ['1qaz2wsx3edc4rfv', 'qwerty123456789', 'QWERTY123456789', '123456789987654321'])
      expect(await verdict(password), password).toMatch(/too common/);
  });

  it("refuses a password containing the email's local part, on sign-up, change and admin creation", async () => {
    const email = uniqueEmail('margaret');
    const local = email.split('@')[0]!;
    expect(await verdict(`my name is ${local}!`, email)).toMatch(/email/);
    expect(await verdict(`${local.toUpperCase()} rocks the moon`, email)).toMatch(/email/);

    const { accessToken } = await register(STRONG_PASSWORD, email);
    const change = await rejection(
      server.client({ token: accessToken }).auth.changePassword.mutate({
        currentPassword: STRONG_PASSWORD,
        newPassword: `${local} forever and ever`,
      }),
    );
    expect(fieldErrors(change)?.newPassword?.[0]).toMatch(/email/);

    await server.database.db.updateTable('users').set({ role: 'admin' }).where('email', '=', email).execute();
    const adminToken = (await login(email, STRONG_PASSWORD)).accessToken;
    const created = uniqueEmail('created');
    const create = await rejection(
      server.client({ token: adminToken }).users.create.mutate({
        name: 'Weak',
        email: created,
        password: `${created.split('@')[0]} is my password`,
      }),
    );
    expect(fieldErrors(create)?.password?.[0]).toMatch(/email/);
    const common = await rejection(
      server
        .client({ token: adminToken })
        .users.create.mutate({ name: 'Weak', email: created, password: '1qaz2wsx3edc4rfv' }),
    );
    expect(fieldErrors(common)?.password?.[0]).toMatch(/too common/);
  });
});

describe('password storage', () => {
  it('stores argon2id with exactly the configured parameters, salted per account', async () => {
    const [a, b] = [uniqueEmail('hash'), uniqueEmail('hash')];
    await register(STRONG_PASSWORD, a);
    await register(STRONG_PASSWORD, b);
    const [hashA, hashB] = [await storedHash(a), await storedHash(b)];
    expect(hashA).toMatch(/^\$argon2id\$v=19\$m=8192,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(hashA).not.toBe(hashB);
    expect(hashA).not.toContain(STRONG_PASSWORD);
  });

  it('rehashes on sign-in when the parameters change, and only after a right password', async () => {
    const email = uniqueEmail('rehash');
    await register(STRONG_PASSWORD, email);
    const before = await storedHash(email);
    const stronger = await startServer({
      env: {
        ARGON2_MEMORY_KIB: '9216',
        ARGON2_TIME_COST: '2',
        ARGON2_PARALLELISM: '1',
        // Another node of the same deployment: the same signing key (key-agreement.ts).
        JWT_PRIVATE_KEY: readFileSync(join(server.dataDir, 'jwt-ed25519.pem'), 'utf8'),
      },
      database: server.database,
    });
    try {
      await rejection(stronger.client().auth.login.mutate({ email, password: 'wrong wrong wrong wrong' }));
      expect(await storedHash(email)).toBe(before);

      await stronger.client().auth.login.mutate({ email, password: STRONG_PASSWORD }).then(tokensOf);
      const after = await storedHash(email);
      expect(after).toMatch(/^\$argon2id\$v=19\$m=9216,t=2,p=1\$/);
      // Still the same password, and the old node (old parameters) accepts the new hash too.
      expect(
        tokensOf(await stronger.client().auth.login.mutate({ email, password: STRONG_PASSWORD })).user.email,
      ).toBe(email);
      expect(await storedHash(email)).toBe(after);
      expect((await login(email, STRONG_PASSWORD)).user.email).toBe(email);
    } finally {
      await stronger.close();
    }
  });
});
