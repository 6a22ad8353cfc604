import { appRouter, type Context } from '@tessera/api';
import { fastifyTRPCPlugin, type CreateFastifyContextOptions } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestInfo } from '../src/http/request-info.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail, type TestServer } from './helpers/server.js';

// /trpc is served by our own lean route (src/http/trpc-route.ts). tRPC's official Fastify adapter,
// mounted here on the same router and the same ports, is the reference: every answer must match it.

let server: TestServer;
let reference: FastifyInstance;
let referenceUrl: string;
let token: string;

beforeAll(async () => {
  server = await startTestServer();
  const deps = server.app.deps;
  reference = Fastify();
  await reference.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      maxBatchSize: 10,
      createContext: ({ req, res }: CreateFastifyContextOptions): Context => ({
        deps,
        request: requestInfo(req, res, { paths: [], publicUrlIsHttps: false }),
      }),
    },
  });
  referenceUrl = await reference.listen({ port: 0, host: '127.0.0.1' });
  const email = uniqueEmail('route');
  token = (await server.client().auth.register.mutate({ name: 'Route', email, password: STRONG_PASSWORD }))
    .accessToken;
});
afterAll(async () => {
  await reference?.close();
  await server?.close();
});

interface Probe {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  signedIn?: boolean;
  /**
   * A request-level refusal tRPC's adapter words generically (reason `invalid_input`), to
   * which ours gives its own reason and words (trpc-route.ts); everything else must match.
   */
  ownReason?: string;
}

const json = { 'content-type': 'application/json' };
const wrongLogin = JSON.stringify({ email: 'nobody@example.com', password: 'not the right password at all' });
const longBatch = Array.from({ length: 11 }, () => 'users.me').join(',');

const PROBES: Probe[] = [
  { method: 'GET', path: '/trpc/users.me' },
  { method: 'GET', path: '/trpc/users.me', signedIn: true },
  { method: 'GET', path: '/trpc/users.me,users.me?batch=1', signedIn: true },
  { method: 'GET', path: '/trpc/users.me,no.such?batch=1', signedIn: true },
  { method: 'GET', path: `/trpc/${longBatch}?batch=1`, signedIn: true, ownReason: 'batch_too_large' },
  {
    method: 'GET',
    path: '/trpc/users.me,auth.login?batch=1',
    signedIn: true,
    ownReason: 'malformed_request',
  },
  { method: 'GET', path: '/trpc/no.such' },
  { method: 'GET', path: '/trpc/users.get?input=not-json', signedIn: true },
  { method: 'GET', path: `/trpc/users.get?input=${encodeURIComponent('{"id":"x"}')}`, signedIn: true },
  { method: 'GET', path: `/trpc/users.list?input=${encodeURIComponent('{"limit":1000}')}`, signedIn: true },
  { method: 'GET', path: '/trpc/users.me?batch=1&input=[1]', signedIn: true, ownReason: 'malformed_request' },
  { method: 'GET', path: '/trpc/meta.nothing?batch=1&input={}' },
  { method: 'GET', path: '/trpc/auth.login' },
  { method: 'POST', path: '/trpc/users.me', body: '{}', headers: json, signedIn: true },
  { method: 'DELETE', path: '/trpc/users.me', signedIn: true },
  { method: 'PUT', path: '/trpc/auth.login', body: wrongLogin, headers: json },
  { method: 'HEAD', path: '/trpc/users.me' },
  { method: 'POST', path: '/trpc/auth.login', body: wrongLogin, headers: json },
  {
    method: 'POST',
    path: '/trpc/auth.login',
    body: wrongLogin,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  },
  { method: 'POST', path: '/trpc/auth.login', body: wrongLogin, headers: { 'content-type': 'text/plain' } },
  { method: 'POST', path: '/trpc/auth.login', body: wrongLogin },
  { method: 'POST', path: '/trpc/auth.login', body: '{"email":', headers: json },
  { method: 'POST', path: '/trpc/auth.login', body: '[1,2]', headers: json },
  { method: 'POST', path: '/trpc/auth.login', body: '', headers: json },
  {
    method: 'POST',
    path: '/trpc/auth.login?batch=1',
    body: '"x"',
    headers: json,
    ownReason: 'malformed_request',
  },
  {
    method: 'POST',
    path: '/trpc/auth.login,auth.login?batch=1',
    body: `{"0":${wrongLogin},"1":{}}`,
    headers: json,
  },
  {
    method: 'POST',
    path: '/trpc/auth.login,auth.logout?batch=1',
    body: `{"1":{"refreshToken":"nope"}}`,
    headers: json,
  },
  { method: 'POST', path: '/trpc/auth.logout', body: '{"refreshToken":"nope"}', headers: json },
];

async function ask(base: string, probe: Probe) {
  const headers: Record<string, string> = { ...probe.headers };
  if (probe.signedIn) headers.authorization = `Bearer ${token}`;
  const response = await fetch(base + probe.path, { method: probe.method, headers, body: probe.body });
  const text = await response.text();
  const answer = {
    status: response.status,
    // tRPC's adapter labels request-level errors text/plain; ours says what they are.
    contentType: text ? 'application/json' : null,
    vary: response.headers.get('vary'),
    allow: response.headers.get('allow'),
    body: text ? (JSON.parse(text) as unknown) : text,
  };
  return { answer, rawType: response.headers.get('content-type') };
}

/** Checks our reason on each error entry, then takes the reference's words and reason for the comparison. */
function adoptOwnReason(ours: unknown, theirs: unknown, reason: string): void {
  type Entry = { error: { message: string; data: { reason: string } } };
  const list = (body: unknown) => (Array.isArray(body) ? body : [body]) as Entry[];
  const [mine, reference] = [list(ours), list(theirs)];
  mine.forEach((entry, i) => {
    expect(entry.error.data.reason).toBe(reason);
    expect(reference[i]!.error.data.reason).toBe('invalid_input');
    entry.error.message = reference[i]!.error.message;
    entry.error.data.reason = 'invalid_input';
  });
}

describe('the lean /trpc route answers as tRPC’s own adapter', () => {
  it.each(PROBES.map((probe) => [`${probe.method} ${probe.path.slice(0, 80)}`, probe] as const))(
    '%s',
    async (_name, probe) => {
      const [ours, theirs] = [await ask(server.url, probe), await ask(referenceUrl, probe)];
      // The app's CORS layer adds `Vary: Origin` where tRPC sends no Vary of its own (HEAD).
      if (theirs.answer.vary === null) ours.answer.vary = null;
      if (probe.ownReason) adoptOwnReason(ours.answer.body, theirs.answer.body, probe.ownReason);
      expect(ours.answer).toEqual(theirs.answer);
      if (ours.answer.body) expect(ours.rawType).toBe('application/json; charset=utf-8');
    },
  );
});

describe('where the lean route deliberately differs', () => {
  it('decodes a procedure name once: a doubly encoded name is no procedure (the limits count what runs)', async () => {
    const probe = { method: 'POST', path: '/trpc/auth%252Elogin', body: wrongLogin, headers: json };
    const ours = await ask(server.url, probe);
    expect(ours.answer.status).toBe(404);
    expect(ours.answer.body).toMatchObject({ error: { data: { code: 'NOT_FOUND' } } });
    // tRPC's adapter decodes twice and signs in past every per-address limit.
    expect((await ask(referenceUrl, probe)).answer.status).toBe(401);
  });

  it('refuses streamed answers, whose status would be sent before any password is checked', async () => {
    const streaming: Record<string, string>[] = [
      { 'trpc-accept': 'application/jsonl' },
      { accept: 'text/html, application/jsonl' },
    ];
    for (const headers of streaming) {
      const ours = await ask(server.url, {
        method: 'POST',
        path: '/trpc/auth.login,auth.login?batch=1',
        body: `{"0":${wrongLogin},"1":${wrongLogin}}`,
        headers: { ...json, ...headers },
      });
      expect(ours.answer.status).toBe(400);
      expect(ours.answer.body).toMatchObject({
        // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types asymmetric matchers as any
        error: { message: expect.stringMatching(/Streamed answers/) },
      });
    }
  });
});
