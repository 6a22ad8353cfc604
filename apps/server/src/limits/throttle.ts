import type { Throttle } from '@tessera/api';
import type { Redis } from 'ioredis';

/** Counters in this process: right for one node; several nodes share counters through Redis. */
export function memoryThrottle(now: () => number = Date.now): Throttle {
  const counters = new Map<string, { count: number; resetAt: number }>();
  let nextSweep = 0;

  function sweep(at: number) {
    if (at < nextSweep) return;
    nextSweep = at + 60_000;
    for (const [key, counter] of counters) if (counter.resetAt <= at) counters.delete(key);
  }

  return {
    async hit(key, windowSeconds) {
      const at = now();
      sweep(at);
      let counter = counters.get(key);
      if (!counter || counter.resetAt <= at) {
        counter = { count: 0, resetAt: at + windowSeconds * 1000 };
        counters.set(key, counter);
      }
      counter.count += 1;
      return { count: counter.count, resetInSeconds: Math.ceil((counter.resetAt - at) / 1000) };
    },
    async reset(key) {
      counters.delete(key);
    },
  };
}

/** INCR and the window's expiry in one script, so parallel hits on any node each count once. */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('PTTL', KEYS[1]) }
`;

/** Counters in Redis (REDIS_URL), shared by every node. */
export function redisThrottle(redis: Redis, prefix = 'tessera:throttle:'): Throttle {
  return {
    async hit(key, windowSeconds) {
      const [count, ttlMs] = (await redis.eval(HIT_SCRIPT, 1, prefix + key, windowSeconds * 1000)) as [
        number,
        number,
      ];
      return { count, resetInSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
    },
    async reset(key) {
      await redis.del(prefix + key);
    },
  };
}
