import { appRouter } from '@tessera/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, STRONG_PASSWORD, uniqueEmail, type TestServer } from './helpers/server.js';

let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer();
  ({ accessToken: token } = await server
    .client()
    .auth.register.mutate({ name: 'Batcher', email: uniqueEmail('batch'), password: STRONG_PASSWORD }));
});
afterAll(() => server?.close());

type Answer = { result?: { data: unknown }; error?: { data: { httpStatus: number; reason: string } } };

/** One tRPC batch over HTTP, as @tessera/client's batch link sends it. */
async function batch(kind: 'query' | 'mutation', names: string[], inputs: unknown[]) {
  const input = JSON.stringify(Object.fromEntries(inputs.map((value, i) => [i, value])));
  const path = `${server.url}/trpc/${names.join(',')}?batch=1`;
  const response =
    kind === 'query'
      ? await fetch(`${path}&input=${encodeURIComponent(input)}`, {
          headers: { authorization: `Bearer ${token}` },
        })
      : await fetch(path, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: input,
        });
  return { status: response.status, body: (await response.json()) as Answer[] };
}

const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
);
const longest = (kind: 'query' | 'mutation') =>
  procedures
    .filter(([, procedure]) => procedure._def.type === kind)
    .map(([name]) => name)
    .sort((a, b) => b.length - a.length)[0]!;

describe('a tRPC batch of ten calls', () => {
  it('of the longest procedure name is answered call by call, not with 414', async () => {
    // Today's longest is auth.requestEmailVerification: ten of them make a 299-character path
    // parameter, past Fastify's default limit of 100.
    const name = longest('mutation');
    expect(name.length * 10 + 9).toBeGreaterThan(100);
    const { status, body } = await batch(
      'mutation',
      Array<string>(10).fill(name),
      Array<object>(10).fill({}),
    );
    expect(status).not.toBe(414);
    expect(status).toBeLessThan(500);
    expect(body).toHaveLength(10);
    for (const answer of body) {
      if (answer.error) expect(answer.error.data.httpStatus).toBeLessThan(500);
      else expect(answer.result).toBeDefined();
    }
  });

  it('of long mutations each get their own answer', async () => {
    const { status, body } = await batch(
      'mutation',
      Array<string>(10).fill('auth.requestPasswordReset'),
      Array.from({ length: 10 }, () => ({ email: uniqueEmail('batch-reset') })),
    );
    expect(status).toBe(200);
    expect(body.map((answer) => answer.result?.data)).toEqual(Array<object>(10).fill({ ok: true }));
  });

  it('of queries by GET, with input, each get their own answer', async () => {
    // Past 100 characters too: ten of the longest query's name.
    const names = ['users.me', 'users.list', ...Array<string>(8).fill(longest('query'))];
    expect(names.join(',').length).toBeGreaterThan(100);
    const { status, body } = await batch(
      'query',
      names,
      names.map((name) => (name === 'users.list' ? { limit: 1 } : undefined)),
    );
    expect(status).not.toBe(414);
    expect(body).toHaveLength(10);
    expect((body[0]!.result!.data as { name: string }).name).toBe('Batcher');
    // users.list is for managers: its own answer, a 403, beside the others' results.
    expect(body[1]!.error!.data.httpStatus).toBe(403);
    for (const answer of body.slice(2)) expect(answer.result ?? answer.error).toBeDefined();
  });

  it('is the cap: an eleventh call is refused with a 4xx, never a 5xx', async () => {
    const name = longest('mutation');
    const { status } = await batch('mutation', Array<string>(11).fill(name), Array<object>(11).fill({}));
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
  });
});
