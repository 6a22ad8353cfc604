// The ceiling for `users.me`: the least work a signed-in read can do on this stack, in a
// process of its own. Started by run.ts; configured only through its environment.
import Fastify from 'fastify';
import { importJWK, jwtVerify, type JWK, type JWTVerifyGetKey } from 'jose';
import pg from 'pg';
import { z } from 'zod';

const env = z
  .object({
    PORT: z.coerce.number().int().min(1).max(65535),
    DATABASE_URL: z.string().url(),
    JWKS_URL: z.string().url(),
    JWT_ISSUER: z.string().min(1),
    JWT_AUDIENCE: z.string().min(1),
  })
  .parse(process.env);

// The keys are fetched and imported once, as a service verifying Tessera's tokens would.
const jwks = (await (await fetch(env.JWKS_URL)).json()) as { keys: JWK[] };
const keys = new Map(
  await Promise.all(jwks.keys.map(async (jwk) => [jwk.kid, await importJWK(jwk, 'EdDSA')] as const)),
);
const getKey: JWTVerifyGetKey = (header) => {
  const key = header.kid === undefined ? undefined : keys.get(header.kid);
  if (!key) throw new Error('unknown key');
  return key;
};

// Same pool size as Tessera's default DATABASE_POOL_MAX.
const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 10 });
pool.on('error', () => {});

const app = Fastify({ logger: false });
app.addHook('onClose', () => pool.end());

app.get('/healthz', () => ({ status: 'ok' }));

app.get('/me', async (request, reply) => {
  const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!token) return reply.code(401).send({ error: 'unauthorized' });
  let sub: string | undefined;
  try {
    const { payload } = await jwtVerify(token, getKey, {
      algorithms: ['EdDSA'],
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      typ: 'at+jwt',
    });
    sub = payload.sub;
  } catch {
    return reply.code(401).send({ error: 'unauthorized' });
  }
  // One primary-key lookup, the same row users.me answers with.
  const { rows } = await pool.query(
    `select id, email, name, role, email_verified_at, disabled_at, created_at, updated_at, last_login_at
       from users where id = $1`,
    [sub],
  );
  const row = rows[0] as Record<string, unknown> | undefined;
  if (!row) return reply.code(401).send({ error: 'unauthorized' });
  return row;
});

const shutdown = () => void app.close().then(() => process.exit(0));
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

await app.listen({ port: env.PORT, host: '127.0.0.1' });
