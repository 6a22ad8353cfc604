import { describe, expect, it } from 'vitest';
import { ExportError, fetchUserExport, fileNameOf } from './user-export.js';

const NOW = new Date('2026-12-01T10:00:00Z');

/** A session whose access token is `token` until refreshed, then `fresh` (null: the refresh fails). */
function fakeSession(token: string | null, fresh: string | null) {
  let current = token;
  return {
    refreshes: 0,
    accessToken: () => current,
    refresh() {
      this.refreshes += 1;
      current = fresh;
      return Promise.resolve(fresh !== null);
    },
  };
}

/** A fetch that answers each call with the next of `answers` and records the tokens it got. */
function fakeFetch(...answers: Response[]) {
  const tokens: string[] = [];
  const urls: string[] = [];
  const call: typeof fetch = (url, init) => {
    urls.push(url as string);
    tokens.push(new Headers(init?.headers).get('authorization') ?? '');
    const answer = answers.shift();
    return answer ? Promise.resolve(answer) : Promise.reject(new TypeError('Failed to fetch'));
  };
  return { fetch: call, tokens, urls };
}

const file = (body: string, disposition?: string) =>
  new Response(body, {
    headers: disposition ? { 'content-disposition': disposition } : {},
  });
const refused = (status: number, code: string, message: string) =>
  new Response(JSON.stringify({ code, message, data: { reason: 'x' } }), { status });

async function failure(promise: Promise<unknown>): Promise<ExportError> {
  const error = await promise.then(
    () => new Error('expected the export to fail'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ExportError);
  return error as ExportError;
}

describe('fetchUserExport', () => {
  it('sends the access token and names the file as the server does', async () => {
    const net = fakeFetch(file('id,email\r\n', 'attachment; filename="tessera-users-2026-11-30.csv"'));
    const got = await fetchUserExport(fakeSession('t1', null), 'csv', { fetch: net.fetch, now: NOW });
    expect(net.urls).toEqual(['/api/users/export?format=csv']);
    expect(net.tokens).toEqual(['Bearer t1']);
    expect(got.fileName).toBe('tessera-users-2026-11-30.csv');
    expect(await got.blob.text()).toBe('id,email\r\n');
  });

  it('refreshes first when no access token is held, and once more after a 401', async () => {
    const session = fakeSession(null, 't2');
    const net = fakeFetch(refused(401, 'UNAUTHORIZED', 'Sign in to continue'), file('{}\n'));
    const got = await fetchUserExport(session, 'jsonl', { fetch: net.fetch, now: NOW });
    expect(net.tokens).toEqual(['Bearer t2', 'Bearer t2']);
    expect(session.refreshes).toBe(2);
    expect(got.fileName).toBe('tessera-users-2026-12-01.jsonl');
  });

  it('says the session ended when it cannot be refreshed, without calling the server', async () => {
    const net = fakeFetch();
    const error = await failure(fetchUserExport(fakeSession(null, null), 'csv', { fetch: net.fetch }));
    expect(error.message).toBe('Your session has ended. Sign in again to export.');
    expect(net.urls).toEqual([]);
  });

  it('turns refusals and network faults into sentences', async () => {
    const cases: [Response | undefined, string][] = [
      [refused(403, 'FORBIDDEN', 'Only admins can export users'), 'You are not allowed to do this.'],
      [refused(503, 'SERVICE_UNAVAILABLE', 'x'), 'Tessera is temporarily unavailable. Try again shortly.'],
      [refused(400, 'BAD_REQUEST', 'format: must be one of csv, jsonl'), 'format: must be one of csv, jsonl'],
      [
        new Response('<html>bad gateway</html>', { status: 502 }),
        'Something went wrong on our side. Try again shortly.',
      ],
      [undefined, 'Could not reach Tessera. Check your connection and try again.'],
    ];
    for (const [answer, message] of cases) {
      const net = answer ? fakeFetch(answer) : fakeFetch();
      const error = await failure(fetchUserExport(fakeSession('t', null), 'csv', { fetch: net.fetch }));
      expect(error.message).toBe(message);
    }
  });
});

describe('fileNameOf', () => {
  it('keeps only safe characters of the given name, and falls back to a dated one', () => {
    expect(fileNameOf('attachment; filename="users.csv"', 'csv', NOW)).toBe('users.csv');
    expect(fileNameOf('attachment; filename="a/b c.csv"', 'csv', NOW)).toBe('a_b_c.csv');
    expect(fileNameOf('attachment; filename="../../etc/passwd"', 'csv', NOW)).toBe(
      'tessera-users-2026-12-01.csv',
    );
    expect(fileNameOf('attachment; filename=".hidden"', 'csv', NOW)).toBe('tessera-users-2026-12-01.csv');
    expect(fileNameOf(null, 'jsonl', NOW)).toBe('tessera-users-2026-12-01.jsonl');
  });
});
