import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';

/**
 * A fixed-window counter store for @fastify/rate-limit that can also give a hit back.
 * `release` is what lets "failed sign-ins per address" be counted atomically: every attempt
 * takes a slot before its password is checked (so parallel guesses cannot all slip past
 * the limit), and an attempt that did not fail on its credentials returns its slot.
 */
export interface CounterStore extends FastifyRateLimitStore {
  /** Gives back one hit of `key`, if its window is still open. */
  release(key: string): Promise<void>;
}

type IncrCallback = Parameters<FastifyRateLimitStore['incr']>[1];

/**
 * Most keys held in memory. Past it the oldest windows are dropped (their counts restart),
 * which bounds memory when an attacker rotates through many addresses.
 */
const MEMORY_MAX_KEYS = 100_000;

/** Counters in this process: right for one node; several nodes share them through Redis. */
export function memoryCounterStore(): { Store: FastifyRateLimitStoreCtor; store: CounterStore } {
  const counters = new Map<string, { count: number; resetAt: number }>();
  let nextSweep = 0;

  function sweep(now: number) {
    if (now < nextSweep && counters.size < MEMORY_MAX_KEYS) return;
    nextSweep = now + 60_000;
    for (const [key, counter] of counters) if (counter.resetAt <= now) counters.delete(key);
    // Map iteration is insertion order: the first keys are the oldest windows.
    for (const key of counters.keys()) {
      if (counters.size < MEMORY_MAX_KEYS) break;
      counters.delete(key);
    }
  }

  const store: CounterStore = {
    incr(key: string, callback: IncrCallback, timeWindow: number) {
      const now = Date.now();
      sweep(now);
      let counter = counters.get(key);
      if (!counter || counter.resetAt <= now) {
        counters.delete(key);
        counter = { count: 0, resetAt: now + timeWindow };
        counters.set(key, counter);
      }
      counter.count += 1;
      callback(null, { current: counter.count, ttl: counter.resetAt - now });
    },
    child: () => store,
    async release(key) {
      const counter = counters.get(key);
      if (counter && counter.resetAt > Date.now() && counter.count > 0) counter.count -= 1;
    },
  };
  return { Store: singleton(store), store };
}

/** INCR and the window's expiry in one script, so parallel hits on any node each count once. */
const INCR_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }
`;

/** DECR only a live, positive counter: a release never creates a key or goes below zero. */
const RELEASE_SCRIPT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return 0
`;

/** Counters in Redis (REDIS_URL), shared by every node behind the same store. */
export function redisCounterStore(
  redis: Redis,
  prefix = 'tessera:rate-limit:',
): { Store: FastifyRateLimitStoreCtor; store: CounterStore } {
  const store: CounterStore = {
    incr(key: string, callback: IncrCallback, timeWindow: number) {
      redis.eval(INCR_SCRIPT, 1, prefix + key, timeWindow).then(
        (result) => {
          const [current, ttl] = result as [number, number];
          callback(null, { current, ttl });
        },
        (error: Error) => callback(error),
      );
    },
    child: () => store,
    async release(key) {
      await redis.eval(RELEASE_SCRIPT, 1, prefix + key);
    },
  };
  return { Store: singleton(store), store };
}

/** @fastify/rate-limit constructs its store itself; hand it the one we keep a reference to. */
function singleton(store: CounterStore): FastifyRateLimitStoreCtor {
  return function SharedStore() {
    return store;
  } as unknown as FastifyRateLimitStoreCtor;
}
