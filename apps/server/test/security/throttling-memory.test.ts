import { describe, expect, it } from 'vitest';
import { BoundedMemoryLimiter, MEMORY_MAX_KEYS, memoryCounters } from '../../src/limits/counters.js';

describe('counters in memory', () => {
  it(`hold at most ${MEMORY_MAX_KEYS} keys however many a client invents`, async () => {
    const limiter = new BoundedMemoryLimiter(MEMORY_MAX_KEYS);
    const keep = 'rate-limit:signIn:198.18.0.1';
    await limiter.penalty(keep, 3, { customDuration: 900 });
    // 200k sign-ins with an email each, the way a spray over invented accounts arrives; the
    // address that keeps coming back stays recently used.
    for (let i = 0; i < 2 * MEMORY_MAX_KEYS; i++) {
      await limiter.penalty(`throttle:login:account:spray-${i}@example.com`, 1, { customDuration: 900 });
      if (i % 1000 === 0) await limiter.penalty(keep, 0, { customDuration: 900 });
    }
    expect(limiter.size).toBe(MEMORY_MAX_KEYS);
    expect(limiter.dump().storage.length).toBe(MEMORY_MAX_KEYS);
    // The oldest inventions were forgotten, the newest and the busy key kept their counts.
    expect(await limiter.get('throttle:login:account:spray-0@example.com')).toBeNull();
    expect(
      (await limiter.get(`throttle:login:account:spray-${2 * MEMORY_MAX_KEYS - 1}@example.com`))
        ?.consumedPoints,
    ).toBe(1);
    expect((await limiter.get(keep))?.consumedPoints).toBe(3);
  }, 60_000);

  it('are bounded the same way behind the Counters the server uses, and give back only what a window holds', async () => {
    const counters = memoryCounters(3);
    for (const key of ['a', 'b', 'c', 'd']) await counters.add(key, 2, 60);
    // 'a' was the least recently used of four: its count starts again.
    expect((await counters.add('a', 1, 60)).count).toBe(1);
    expect((await counters.add('d', 1, 60)).count).toBe(3);

    await counters.giveBack('d', 5);
    expect((await counters.add('d', 1, 60)).count).toBe(1);
    // A give-back for a key not held (its window closed, or forgotten) does not bank a credit.
    await counters.giveBack('never-seen', 1);
    expect((await counters.add('never-seen', 1, 60)).count).toBe(1);
    await counters.reset('d');
    expect((await counters.add('d', 1, 60)).count).toBe(1);
  });
});
