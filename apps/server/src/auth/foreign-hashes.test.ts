import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { hash as argon2Hash } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { parsePasswordHash, type ParsedPasswordHash } from '@tessera/api';
import { describe, expect, it } from 'vitest';
import { verifyForeignHash } from './foreign-hashes.js';

/** Django's PBKDF2 encoding, written from its documentation: algorithm$iterations$salt$base64(key). */
function djangoPbkdf2(password: string, salt: string, iterations: number, digest: 'sha256' | 'sha1') {
  const key = pbkdf2Sync(password, salt, iterations, digest === 'sha256' ? 32 : 20, digest);
  return `pbkdf2_${digest}$${iterations}$${salt}$${key.toString('base64')}`;
}

function parsed(hash: string): ParsedPasswordHash {
  const result = parsePasswordHash(hash);
  if ('problem' in result) throw new Error(result.problem);
  return result;
}

async function accepts(hash: string, password: string, wrong = `${password}z`) {
  const p = parsed(hash);
  return [await verifyForeignHash(p, password), await verifyForeignHash(p, wrong)];
}

describe('hashes from other systems', () => {
  it("makes Django's PBKDF2 strings exactly as Django's own test suite does", () => {
    // django/tests/auth_tests/test_hashers.py (the 10,000-iteration era): the same inputs give these strings.
    expect(djangoPbkdf2('lètmein', 'seasalt', 10_000, 'sha256')).toBe(
      'pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=',
    );
    expect(djangoPbkdf2('lètmein', 'seasalt', 10_000, 'sha1')).toBe(
      'pbkdf2_sha1$10000$seasalt$oAfF6vgs95ncksAhGXOWf4Okq7o=',
    );
  });

  it("verifies Django's pbkdf2_sha256 and pbkdf2_sha1 (non-ASCII password included)", async () => {
    expect(
      await accepts('pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=', 'lètmein'),
    ).toEqual([true, false]);
    expect(await accepts('pbkdf2_sha1$10000$seasalt$oAfF6vgs95ncksAhGXOWf4Okq7o=', 'lètmein')).toEqual([
      true,
      false,
    ]);
    const salt = randomBytes(12).toString('base64url');
    expect(
      await accepts(djangoPbkdf2('a long passphrase ✓', salt, 20_000, 'sha256'), 'a long passphrase ✓'),
    ).toEqual([true, false]);
  });

  it('verifies bcrypt $2a$, $2b$ and $2y$ (one algorithm, three labels)', async () => {
    const b = await bcryptHash('hunter22', { cost: 4 });
    expect(b.startsWith('$2b$04$')).toBe(true);
    for (const label of ['$2a$', '$2b$', '$2y$'])
      expect(await accepts(label + b.slice(4), 'hunter22')).toEqual([true, false]);
  });

  it("verifies Django's bcrypt_sha256 (bcrypt of the password's hex SHA-256)", async () => {
    const password = 'x'.repeat(100); // longer than bcrypt's 72 bytes: the digest keeps all of it
    const inner = await bcryptHash(createHash('sha256').update(password).digest('hex'), { cost: 4 });
    expect(await accepts(`bcrypt_sha256$${inner}`, password, `${'x'.repeat(99)}y`)).toEqual([true, false]);
  });

  it("verifies argon2id and argon2i PHC strings, and Django's argon2$ prefix", async () => {
    const id = await argon2Hash('pass phrase', { memoryCost: 8192, timeCost: 1, parallelism: 2 });
    // @node-rs/argon2's Algorithm is a const enum: 1 is Argon2i.
    const i = await argon2Hash('pass phrase', { memoryCost: 8192, timeCost: 1, algorithm: 1 as never });
    expect(i.startsWith('$argon2i$')).toBe(true);
    expect(await accepts(id, 'pass phrase')).toEqual([true, false]);
    expect(await accepts(i, 'pass phrase')).toEqual([true, false]);
    expect(await accepts(`argon2${id}`, 'pass phrase')).toEqual([true, false]);
    expect(parsed(`argon2${id}`).format).toBe('django_argon2');
  });

  it('refuses what it does not know, or what costs more than the ceilings', () => {
    const problem = (hash: string) => ('problem' in parsePasswordHash(hash) ? 'refused' : 'accepted');
    expect(problem('md5$salt$5f4dcc3b5aa765d61d8327deb882cf99')).toBe('refused');
    expect(problem('!unusable')).toBe('refused');
    expect(problem(`$2b$13$${'a'.repeat(53)}`)).toBe('refused');
    expect(problem(`$2b$12$${'a'.repeat(53)}`)).toBe('accepted');
    expect(problem(`pbkdf2_sha1$1200001$salt$${Buffer.alloc(20).toString('base64')}`)).toBe('refused');
    expect(problem('pbkdf2_sha256$1000$salt$c2hvcnQ=')).toBe('refused'); // key of the wrong length
    expect(problem('$argon2id$v=19$m=204800,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g')).toBe(
      'refused',
    );
    expect(problem('$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g')).toBe(
      'accepted',
    );
    expect(problem('$argon2id$v=19$m=102400,t=3,p=8$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g')).toBe(
      'refused',
    );
  });
});
