import { generateKeyPairSync, pbkdf2 } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAccessTokens } from '../src/auth/access-tokens.js';
import { loadSigningKeys } from '../src/auth/keys.js';

async function tokens(now?: () => number) {
  const { privateKey } = generateKeyPairSync('ed25519');
  const keys = await loadSigningKeys({
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    keyFile: '/nonexistent/unused',
  });
  const accessTokens = createAccessTokens({
    keys,
    issuer: 'https://tessera.test',
    audience: 'tessera',
    ttlSeconds: 900,
    ...(now ? { now } : {}),
  });
  return { keys, accessTokens };
}

describe('access tokens signed with node:crypto', () => {
  it('are compact EdDSA JWS that jose verifies against the published key set, claims intact', async () => {
    const { keys, accessTokens } = await tokens();
    const sub = '0b9f9b8e-0d5e-4a51-9a3c-1f1de1a0c0de';
    const sid = '6c1d1b8e-2f4a-4c55-8a0b-5b4e2f0a9d11';

    const token = await accessTokens.sign({ sub, sid, role: 'admin' });

    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: keys.kid, typ: 'at+jwt' });
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys.jwks), {
      issuer: 'https://tessera.test',
      audience: 'tessera',
      typ: 'at+jwt',
      algorithms: ['EdDSA'],
    });
    expect(Object.keys(payload)).toEqual(['role', 'sid', 'iss', 'aud', 'sub', 'iat', 'exp', 'jti']);
    expect(payload).toMatchObject({ role: 'admin', sid, sub });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(await accessTokens.verify(token)).toEqual({ sub, sid, role: 'admin' });
  });

  it('never wait behind work on the libuv pool (where argon2 hashes run)', async () => {
    const { accessTokens } = await tokens();
    // Fill every pool thread (and more) with slow work, as a sign-in storm does with argon2.
    const poolSize = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const order: string[] = [];
    const busy = Array.from(
      { length: Math.max(poolSize, availableParallelism()) * 2 },
      () =>
        new Promise<void>((resolve) =>
          pbkdf2('password', 'salt', 200_000, 32, 'sha256', () => {
            order.push('pool');
            resolve();
          }),
        ),
    );

    await accessTokens.sign({ sub: 'u', sid: 's', role: 'user' });
    order.push('signed');
    await Promise.all(busy);

    expect(order[0]).toBe('signed');
  });

  describe('remembered once verified', () => {
    it('still expire on time', async () => {
      let clock = Date.now();
      const { accessTokens } = await tokens(() => clock);
      const token = await accessTokens.sign({ sub: 'u', sid: 's', role: 'user' });
      expect(await accessTokens.verify(token)).toEqual({ sub: 'u', sid: 's', role: 'user' });
      expect(await accessTokens.verify(token)).toEqual({ sub: 'u', sid: 's', role: 'user' });
      clock += 906_000; // Past exp and the 5 s of skew.
      expect(await accessTokens.verify(token)).toBeUndefined();
    });

    it('lend nothing to a token that differs in one character, however close', async () => {
      const { accessTokens } = await tokens();
      const token = await accessTokens.sign({ sub: 'u', sid: 's', role: 'user' });
      expect(await accessTokens.verify(token)).toBeDefined();
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
      expect(await accessTokens.verify(`${header}.${payload}.${flipped}`)).toBeUndefined();
      const raised = Buffer.from(
        JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'admin' }),
      ).toString('base64url');
      expect(await accessTokens.verify(`${header}.${raised}.${signature}`)).toBeUndefined();
      // The same 64 bytes spelled otherwise: the last character carries 2 bits and 4 spare ones.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const value = alphabet.indexOf(signature.at(-1)!);
      const respelled = signature.slice(0, -1) + alphabet[(value & 0b110000) | ((value + 1) & 0b1111)]!;
      expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
      expect(await accessTokens.verify(`${header}.${payload}.${respelled}`)).toBeUndefined();
      expect(await accessTokens.verify(token)).toEqual({ sub: 'u', sid: 's', role: 'user' });
    });
  });
});
