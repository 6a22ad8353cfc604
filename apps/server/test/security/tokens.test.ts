import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { errorCode } from '@tessera/client';
import { createLocalJWKSet, exportJWK, jwtVerify, type JSONWebKeySet, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  raw,
  rejection,
  startServer,
  STRONG_PASSWORD,
  uniqueEmail,
  type SecurityServer,
} from './helpers/harness.js';
import { tokensOf } from '../helpers/accounts.js';

const ISSUER = 'https://id.example.com';
const AUDIENCE = 'tessera';

/** Our signing key, known to the test so it can mint tokens that are signed right but wrong otherwise. */
const { privateKey: ourKey } = generateKeyPairSync('ed25519');
const ourKeyPem = ourKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const { privateKey: attackerKey } = generateKeyPairSync('ed25519');

let server: SecurityServer;
let ourKid: string;

beforeAll(async () => {
  server = await startServer({
    env: { PUBLIC_URL: ISSUER, JWT_PRIVATE_KEY: ourKeyPem },
  });
  const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
  ourKid = jwks.keys[0]!.kid!;
});
afterAll(() => server?.close());

async function signedIn() {
  const email = uniqueEmail('tokens');
  return server.client().auth.register.mutate({ name: 'Token Holder', email, password: STRONG_PASSWORD });
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decode(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header, claims] = token.split('.') as [string, string];
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(claims, 'base64url').toString()) as Record<string, unknown>,
  };
}

/** A compact JWS signed with an Ed25519 key over exactly the header and claims given. */
function ed25519Token(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key: KeyObject,
): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

function hs256Token(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  secret: Buffer | string,
) {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** The answer users.me gives a token: OK with the user's id, or the error code. */
async function me(token: string): Promise<string> {
  try {
    return `OK ${(await server.client({ token }).users.me.query()).id}`;
  } catch (error) {
    return errorCode(error) ?? String(error);
  }
}

describe('access tokens an attacker makes up', () => {
  it('are refused: alg none, HS256 keyed with our public key, embedded or remote keys, foreign keys', async () => {
    const { accessToken, user } = await signedIn();
    expect(await me(accessToken)).toBe(`OK ${user.id}`);
    const { header, claims } = decode(accessToken);
    const admin = { ...claims, role: 'admin' };

    const publicKey = createPublicKey(ourKey);
    const publicJwk = await exportJWK(publicKey);
    const attackerJwk: JWK = { ...(await exportJWK(createPublicKey(attackerKey))), kid: ourKid };
    const publicKeySecrets: (Buffer | string)[] = [
      Buffer.from(publicJwk.x!, 'base64url'),
      publicJwk.x!,
      publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      publicKey.export({ type: 'spki', format: 'der' }),
      JSON.stringify(publicJwk),
    ];

    const forgeries: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', typ: 'at+jwt', kid: ourKid })}.${b64(admin)}.`,
      'alg none, with signature': `${b64({ ...header, alg: 'none' })}.${b64(claims)}.${accessToken.split('.')[2]}`,
      'alg NONE': `${b64({ alg: 'NONE', typ: 'at+jwt' })}.${b64(claims)}.`,
      ...Object.fromEntries(
        publicKeySecrets.map((secret, i) => [
          `HS256 with our public key #${i}`,
          hs256Token({ alg: 'HS256', typ: 'at+jwt', kid: ourKid }, claims, secret),
        ]),
      ),
      'embedded jwk': ed25519Token({ ...header, jwk: attackerJwk }, admin, attackerKey),
      'embedded jwk, no kid': ed25519Token(
        { alg: 'EdDSA', typ: 'at+jwt', jwk: attackerJwk },
        admin,
        attackerKey,
      ),
      'jku to attacker': ed25519Token(
        { ...header, jku: 'https://evil.example/jwks.json' },
        admin,
        attackerKey,
      ),
      'x5u to attacker': ed25519Token(
        { ...header, x5u: 'https://evil.example/cert.pem' },
        admin,
        attackerKey,
      ),
      'our kid, attacker key': ed25519Token(header, claims, attackerKey),
      'unknown kid': ed25519Token({ ...header, kid: 'attacker' }, claims, attackerKey),
      'kid path traversal': ed25519Token({ ...header, kid: '../../../../dev/null' }, claims, attackerKey),
      'kid with SQL': ed25519Token({ ...header, kid: "' or '1'='1" }, claims, attackerKey),
      'kid as object': ed25519Token({ ...header, kid: { toString: 'x' } }, claims, attackerKey),
    };
    for (const [what, token] of Object.entries(forgeries)) expect(await me(token), what).toBe('UNAUTHORIZED');
  });

  it('are refused when tampered with, truncated or taken from another place', async () => {
    const { accessToken, refreshToken } = await signedIn();
    const [h, p, s] = accessToken.split('.') as [string, string, string];
    const { claims } = decode(accessToken);
    const flipped = Buffer.from(s, 'base64url');
    flipped[10] = flipped[10]! ^ 1;
    const tampered: Record<string, string> = {
      'role raised in payload': `${h}.${b64({ ...claims, role: 'admin' })}.${s}`,
      'exp extended in payload': `${h}.${b64({ ...claims, exp: Number(claims.exp) + 86_400 })}.${s}`,
      'one signature bit flipped': `${h}.${p}.${flipped.toString('base64url')}`,
      'signature dropped': `${h}.${p}.`,
      'signature truncated': `${h}.${p}.${s.slice(0, 40)}`,
      'padding added': `${h}.${p}.${s}==`,
      'extra segment': `${accessToken}.${s}`,
      'JWE-like five parts': `${h}.${p}.${s}.${s}.${s}`,
      'refresh token as access token': refreshToken,
    };
    for (const [what, token] of Object.entries(tampered)) expect(await me(token), what).toBe('UNAUTHORIZED');
    // The original still works: each refusal above is about the one thing changed.
    expect(await me(accessToken)).toMatch(/^OK /);
  });

  it('are refused when signed with our own key but missing or bending a required claim', async () => {
    const { accessToken, user } = await signedIn();
    const { header, claims } = decode(accessToken);
    const now = Math.floor(Date.now() / 1000);
    const base = { ...claims, iat: now, exp: now + 600 };
    const mint = (h: Record<string, unknown>, c: Record<string, unknown>) => ed25519Token(h, c, ourKey);
    const without = (name: string) =>
      Object.fromEntries(Object.entries(base).filter(([key]) => key !== name));

    // Sanity: a token minted here with the right claims is accepted, so the refusals below are real.
    expect(await me(mint(header, base))).toBe(`OK ${user.id}`);

    const cases: Record<string, string> = {
      'no exp': mint(header, without('exp')),
      'exp as text': mint(header, { ...base, exp: String(now + 600) }),
      expired: mint(header, { ...base, iat: now - 1000, exp: now - 60 }),
      'no iss': mint(header, without('iss')),
      'other iss': mint(header, { ...base, iss: 'https://evil.example' }),
      'no aud': mint(header, without('aud')),
      'other aud': mint(header, { ...base, aud: 'another-service' }),
      'aud list without us': mint(header, { ...base, aud: ['another-service'] }),
      'no typ': mint({ alg: 'EdDSA', kid: ourKid }, base),
      'typ JWT': mint({ ...header, typ: 'JWT' }, base),
      'typ of an ID token': mint({ ...header, typ: 'id_token+jwt' }, base),
      'alg Ed25519 (other name)': mint({ ...header, alg: 'Ed25519' }, base),
      'crit header': mint({ ...header, crit: ['exp'], exp: 1 }, base),
      'not yet valid': mint(header, { ...base, nbf: now + 3600 }),
      'no sid': mint(header, without('sid')),
      'sid of nobody': mint(header, { ...base, sid: '00000000-0000-4000-8000-000000000000' }),
      'unknown role': mint(header, { ...base, role: 'root' }),
    };
    for (const [what, token] of Object.entries(cases)) expect(await me(token), what).toBe('UNAUTHORIZED');
  });

  it('never grant more than the account has, even when correctly signed with a raised role', async () => {
    const { accessToken } = await signedIn();
    const { header, claims } = decode(accessToken);
    const raised = ed25519Token(header, { ...claims, role: 'admin' }, ourKey);
    // The session's user, read fresh on every request, decides: still a plain user.
    expect(errorCode(await rejection(server.client({ token: raised }).users.list.query({})))).toBe(
      'FORBIDDEN',
    );
    expect((await server.client({ token: raised }).users.me.query()).role).toBe('user');
  });

  it('expire: refused once exp (plus a few seconds of skew) has passed, on tRPC and REST', async () => {
    const { accessToken } = await signedIn();
    server.advance(900_000 + 6_000);
    try {
      expect(await me(accessToken)).toBe('UNAUTHORIZED');
      const rest = await raw(`${server.url}/api/users/me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(rest.status).toBe(401);
    } finally {
      server.advance(-906_000);
    }
  });
});

describe('key rotation', () => {
  it('keeps the previous public key in the JWKS, and its tokens valid, until they expire', async () => {
    const { accessToken: oldToken, user } = await signedIn();
    const { privateKey: nextKey } = generateKeyPairSync('ed25519');
    const previousPublicPem = createPublicKey(ourKey).export({ type: 'spki', format: 'pem' }).toString();
    const rotated = await startServer({
      env: {
        PUBLIC_URL: ISSUER,
        JWT_PRIVATE_KEY: nextKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        JWT_PREVIOUS_PUBLIC_KEY: previousPublicPem,
      },
      database: server.database,
    });
    const retired = await startServer({
      env: {
        PUBLIC_URL: ISSUER,
        JWT_PRIVATE_KEY: nextKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
      database: server.database,
    });
    try {
      const jwks = (await (await fetch(`${rotated.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
      expect(jwks.keys.map((k) => k.kid)).toHaveLength(2);
      expect(jwks.keys[1]!.kid).toBe(ourKid);
      // Only public halves are published.
      for (const key of jwks.keys)
        expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);

      // A verifier elsewhere accepts both the old token and a new one from the same JWKS.
      const keySet = createLocalJWKSet(jwks);
      const fresh = await rotated
        .client()
        .auth.login.mutate({ email: user.email, password: STRONG_PASSWORD })
        .then(tokensOf);
      for (const token of [oldToken, fresh.accessToken])
        await expect(
          jwtVerify(token, keySet, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'] }),
        ).resolves.toBeTruthy();
      expect(decode(fresh.accessToken).header.kid).toBe(jwks.keys[0]!.kid);

      expect((await rotated.client({ token: oldToken }).users.me.query()).id).toBe(user.id);
      // Once the old token has expired the previous key has nothing left to verify…
      rotated.advance(906_000);
      expect(errorCode(await rejection(rotated.client({ token: oldToken }).users.me.query()))).toBe(
        'UNAUTHORIZED',
      );
      // …and a node without JWT_PREVIOUS_PUBLIC_KEY neither publishes nor accepts it.
      const retiredJwks = (await (
        await fetch(`${retired.url}/.well-known/jwks.json`)
      ).json()) as JSONWebKeySet;
      expect(retiredJwks.keys.map((k) => k.kid)).toEqual([jwks.keys[0]!.kid]);
      expect(errorCode(await rejection(retired.client({ token: oldToken }).users.me.query()))).toBe(
        'UNAUTHORIZED',
      );
    } finally {
      await rotated.close();
      await retired.close();
    }
  });

  it('refuses a key that is not Ed25519 at start-up', async () => {
    const { privateKey: rsa } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = rsa.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(createPrivateKey(pem).asymmetricKeyType).toBe('rsa');
    await expect(startServer({ env: { JWT_PRIVATE_KEY: pem }, database: server.database })).rejects.toThrow(
      /Ed25519/,
    );
  });
});
