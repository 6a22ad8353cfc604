import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';
import { startTestServer } from './helpers/server.js';
import { perFile } from './helpers/per-file.js';
import { builtEntry } from './helpers/cli.js';

const server = perFile(() => startTestServer());

describe('operational endpoints', () => {
  it('reports liveness and readiness (database reachable, migrations applied)', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
  });

  it('publishes the Ed25519 public key as a JWKS, cacheable', async () => {
    const response = await fetch(`${server.url}/.well-known/jwks.json`);
    expect(response.headers.get('cache-control')).toMatch(/max-age/);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const { keys } = (await response.json()) as { keys: Record<string, string>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
  });
});

describe('configuration', () => {
  it('names every bad variable', () => {
    const attempt = () =>
      parseConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', PASSWORD_MIN_LENGTH: '3' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT/);
    expect(attempt).toThrow(/DATABASE_URL/);
    expect(attempt).toThrow(/PASSWORD_MIN_LENGTH/);
  });

  it('uses the documented defaults', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:3000',
      migrateOnStart: true,
      trustProxy: false,
      jwt: { accessTtlSeconds: 900, audience: 'tessera' },
      auth: {
        passwordMinLength: 15,
        registrationOpen: true,
        defaultLocale: 'en',
        refreshTokenTtlSeconds: 2_592_000,
        resetTokenTtlSeconds: 1800,
        refreshReuseGraceSeconds: 10,
      },
      argon2: { memoryCost: 19_456, timeCost: 2, parallelism: 1 },
      mail: { retentionHours: 168, failedRetentionHours: 720 },
      listQueryTimeoutMs: 2000,
      locales: { supported: ['en', 'fr'], default: 'en' },
      mfa: { requiredRoles: [] },
      webhooks: { maxAttempts: 8, retryBaseMs: 5000, allowPrivate: false },
    });
    expect(config.database.url).toBeUndefined();
    expect(config.metricsToken).toBeUndefined();
  });

  it('stops start-up with a message naming the variable', () => {
    const result = spawnSync(process.execPath, [builtEntry('main')], {
      env: { ...process.env, ACCESS_TOKEN_TTL_SECONDS: 'soon', PORT: '0' },
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/ACCESS_TOKEN_TTL_SECONDS/);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  }, 120_000);
});

describe('settings checked before anything starts', () => {
  it.each([
    ['JWT_PRIVATE_KEY', 'garbage'],
    ['JWT_PREVIOUS_PUBLIC_KEY', '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----'],
    ['TRUST_PROXY', 'yes'],
    ['TRUST_PROXY', '10.0.0.0/99'],
    ['DEFAULT_LOCALE', 'de'],
    ['MFA_REQUIRED_ROLES', 'admin,root'],
    ['WEBHOOK_MAX_ATTEMPTS', '0'],
  ])('refuses %s=%j naming the variable', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('accepts proxy lists and Ed25519 PEMs', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const config = parseConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8, ::1', JWT_PRIVATE_KEY: pem });
    expect(config.trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
  });

  it('reads the roles that must use a second factor', () => {
    expect(parseConfig({ MFA_REQUIRED_ROLES: 'admin, manager' }).mfa.requiredRoles).toEqual([
      'admin',
      'manager',
    ]);
  });
});

describe('per-address limits', () => {
  it('are on by default, and each can be set', () => {
    expect(parseConfig({}).rateLimits).toMatchObject({
      signIn: { max: 50 },
      register: { max: 10 },
      mail: { max: 10 },
      tokens: { max: 30 },
      refresh: { max: 300 },
      passwordChecks: { max: 20 },
    });
    expect(parseConfig({ RATE_LIMIT_REGISTER: '3' }).rateLimits.register?.max).toBe(3);
    expect(() => parseConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/);
  });
});
