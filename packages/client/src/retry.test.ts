import { createTRPCClient, TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from '@tessera/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { retryLink } from './retry.js';

/** A server stand-in: answers each call with the next status (200 = data), with the headers given. */
function scripted(answers: { status: number; headers?: Record<string, string> }[]) {
  let calls = 0;
  const link: TRPCLink<AppRouter> = () => () =>
    observable((observer) => {
      const answer = answers[Math.min(calls, answers.length - 1)]!;
      calls += 1;
      if (answer.status === 200) {
        observer.next({ result: { type: 'data', data: { ok: true } } });
        observer.complete();
      } else {
        const response = new Response(null, { status: answer.status, headers: answer.headers });
        observer.error(TRPCClientError.from(new Error(`status ${answer.status}`), { meta: { response } }));
      }
      return () => undefined;
    });
  return { link, calls: () => calls };
}

afterEach(() => vi.useRealTimers());

describe('retryLink', () => {
  it('retries a 503 after its Retry-After', async () => {
    vi.useFakeTimers();
    const server = scripted([{ status: 503, headers: { 'retry-after': '3' } }, { status: 200 }]);
    const client = createTRPCClient<AppRouter>({ links: [retryLink(), server.link] });
    const call = client.meta.settings.query();
    await vi.advanceTimersByTimeAsync(2_900);
    expect(server.calls()).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    await expect(call).resolves.toEqual({ ok: true });
    expect(server.calls()).toBe(2);
  });

  it('returns a 429 whose wait is too long, and never retries other errors', async () => {
    const lockedOut = scripted([{ status: 429, headers: { 'retry-after': '900' } }, { status: 200 }]);
    const one = createTRPCClient<AppRouter>({ links: [retryLink(), lockedOut.link] });
    await expect(one.meta.settings.query()).rejects.toThrow('status 429');
    expect(lockedOut.calls()).toBe(1);

    const refused = scripted([{ status: 401 }, { status: 200 }]);
    const two = createTRPCClient<AppRouter>({ links: [retryLink(), refused.link] });
    await expect(two.meta.settings.query()).rejects.toThrow('status 401');
    expect(refused.calls()).toBe(1);
  });

  it('gives up after its retries', async () => {
    const down = scripted([{ status: 503, headers: { 'retry-after': '0' } }]);
    const client = createTRPCClient<AppRouter>({ links: [retryLink({ retries: 2 }), down.link] });
    await expect(client.meta.settings.query()).rejects.toThrow('status 503');
    expect(down.calls()).toBe(3);
  });
});
