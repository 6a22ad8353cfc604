import { createHash } from 'node:crypto';
import type { Throttle } from '@tessera/api';
import type { FastifyBaseLogger } from 'fastify';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

/** A counter after a change: hits in its current window, and whole seconds until that window closes. */
export interface Count {
  count: number;
  resetInSeconds: number;
}

/**
 * The one store behind every limit: fixed-window counters by key (the per-address limits,
 * `rate-limit:<bucket>:<address>`, and the per-account sign-in throttle, `throttle:<key>`).
 * In this process's memory, or in Redis (REDIS_URL) so that every node shares them. Built on
 * rate-limiter-flexible: its atomic Redis script, its memory store and its insurance limiter.
 */
export interface Counters {
  /** Adds `points` hits to `key` atomically; a window of `windowSeconds` opens at the first one. */
  add(key: string, points: number, windowSeconds: number): Promise<Count>;
  /** Gives back up to `points` hits of `key`'s open window: never opens one, never goes below zero. */
  giveBack(key: string, points: number): Promise<void>;
  /** Forgets `key` and its window. */
  reset(key: string): Promise<void>;
  /** Closes the Redis connection, if any. */
  close(): Promise<void>;
  /** Redis only: whether it answers a PING now (readiness reports it). */
  ping?: () => Promise<boolean>;
}

/**
 * Most keys one node holds in memory, whoever chose them (emails and addresses come from
 * clients). Past it the least recently used key is forgotten, its count restarting: an
 * attacker who rotates keys costs memory up to this cap, never more. Keys are at most
 * KEY_MAX_BYTES (`storeKey`), so the cap is also one of bytes: about 56 MB of heap at the cap,
 * measured here (test/security/throttling-memory.test.ts). The same cap holds for the
 * in-memory stand-in during a Redis outage.
 */
export const MEMORY_MAX_KEYS = 100_000;

/** Longest key kept as it is; a longer one is stored as a hash of itself (`storeKey`). */
export const KEY_MAX_BYTES = 64;

/**
 * The name a counter is stored under, memory and Redis alike: the key itself when it is short
 * (an address, a usual email — readable in Redis), otherwise its kind (the first two fixed
 * segments, `throttle:login`) and a SHA-256 of the whole key. Clients choose much of a key (a
 * sign-in email may be 254 characters, an X-Forwarded-For value under TRUST_PROXY=true longer),
 * and the memory cap counts keys: fixed-size keys make it a cap on bytes too.
 */
export function storeKey(key: string): string {
  if (Buffer.byteLength(key) <= KEY_MAX_BYTES) return key;
  const kind = key.split(':', 2).join(':').slice(0, 20);
  return `${kind}:#${createHash('sha256').update(key).digest('base64url')}`;
}

/**
 * How long a Redis command may take before this node counts in memory instead: long enough
 * for a busy Redis, short enough that an unanswering one (a dropped network path, no reset)
 * does not hold every sign-in.
 */
const REDIS_COMMAND_TIMEOUT_MS = 500;

/** How often, at most, an ongoing Redis outage is logged again. */
const OUTAGE_LOG_INTERVAL_MS = 30_000;

/**
 * rate-limiter-flexible's own script (`SET NX` the window, `INCRBY`, `PTTL`), plus one rule
 * for negative changes: a give-back only lowers a live count and stops at zero. Without it, a
 * give-back that arrives after its window closed (or on the other side of a Redis outage)
 * would open a new window at -1, one extra attempt for the next comer.
 */
const ADD_SCRIPT = `
local delta = tonumber(ARGV[1])
if delta < 0 then
  local current = tonumber(redis.call('get', KEYS[1]) or '0')
  local take = math.min(-delta, current)
  if take > 0 then current = redis.call('decrby', KEYS[1], take) end
  return { current, redis.call('pttl', KEYS[1]) }
end
redis.call('set', KEYS[1], 0, 'EX', ARGV[2], 'NX')
local consumed = redis.call('incrby', KEYS[1], delta)
local ttl = redis.call('pttl', KEYS[1])
if ttl == -1 then
  redis.call('expire', KEYS[1], ARGV[2])
  ttl = 1000 * ARGV[2]
end
return { consumed, ttl }
`;

type Options = { [key: string]: unknown };

/**
 * rate-limiter-flexible's memory store with a hard cap on keys. Its own store keeps every key
 * until its window ends (one timer each), so a client inventing keys grows it without bound;
 * this one forgets the least recently used key once `maxKeys` are held. Every call that can
 * create a key passes through here, so the store never holds a key this list does not.
 */
export class BoundedMemoryLimiter extends RateLimiterMemory {
  /** Held keys, least recently used first (a Map iterates in insertion order). */
  readonly #keys = new Map<string, true>();

  constructor(readonly maxKeys: number) {
    // `points` and `duration` are defaults only: callers pass the window per call and read counts.
    super({ points: 1, duration: 60, keyPrefix: '' });
  }

  /** Keys held now (never more than `maxKeys`). */
  get size(): number {
    return this.#keys.size;
  }

  override consume(key: string | number, points = 1, options: Options = {}): Promise<RateLimiterRes> {
    this.#touch(key);
    return super.consume(key, points, options);
  }

  override penalty(key: string | number, points = 1, options: Options = {}): Promise<RateLimiterRes> {
    this.#touch(key);
    return super.penalty(key, points, options);
  }

  override set(key: string | number, points: number, secDuration: number): Promise<RateLimiterRes> {
    this.#touch(key);
    return super.set(key, points, secDuration);
  }

  override block(key: string | number, secDuration: number): Promise<RateLimiterRes> {
    this.#touch(key);
    return super.block(key, secDuration);
  }

  /** As the Redis script: lowers a live count only, and not below zero. */
  override async reward(key: string | number, points = 1, options: Options = {}): Promise<RateLimiterRes> {
    const current = await super.get(key);
    if (!current || current.msBeforeNext <= 0 || current.consumedPoints <= 0)
      return current ?? new RateLimiterRes(0, 0, 0, false);
    return super.reward(key, Math.min(points, current.consumedPoints), options);
  }

  /** Whether `key` has hits in an open window. */
  async holds(key: string): Promise<boolean> {
    const current = await super.get(key);
    return current !== null && current.msBeforeNext > 0 && current.consumedPoints > 0;
  }

  override delete(key: string | number): Promise<boolean> {
    this.#keys.delete(String(key));
    return super.delete(key);
  }

  #touch(key: string | number): void {
    const name = String(key);
    this.#keys.delete(name);
    this.#keys.set(name, true);
    if (this.#keys.size <= this.maxKeys) return;
    const oldest = this.#keys.keys().next().value!;
    this.#keys.delete(oldest);
    void super.delete(oldest);
  }
}

/** Counters in this process: right for one node. */
export function memoryCounters(maxKeys = MEMORY_MAX_KEYS): Counters {
  return withStoreKeys({ ...changesOn(new BoundedMemoryLimiter(maxKeys)), close: async () => {} });
}

/**
 * Counters in Redis, shared by every node. When Redis cannot be reached — at start or later —
 * each node counts in its own memory until it is back: every limit still holds, per node,
 * nothing answers 500, and the outage and its end are each logged once (reportOutages). The
 * node starts even if Redis is down; the client keeps reconnecting.
 */
export async function redisCounters(
  url: string,
  log: FastifyBaseLogger,
  maxKeys = MEMORY_MAX_KEYS,
): Promise<Counters> {
  // Imported here, not at the top: a node without REDIS_URL never loads the client (~120 ms of
  // start-up and ~10 MB).
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    // Fail a command at once while disconnected (the memory stand-in answers), rather than
    // queueing it until a reconnection that may be seconds away.
    enableOfflineQueue: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
  });
  const outage = reportOutages(log);
  redis.on('error', (error: unknown) => outage.failed(error));
  redis.on('ready', () => outage.recovered());
  try {
    await redis.connect();
  } catch (error) {
    outage.failed(error);
  }
  const standIn = new BoundedMemoryLimiter(maxKeys);
  const inMemory = changesOn(standIn);
  const shared = changesOn(
    new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: 'tessera',
      points: 1,
      duration: 60,
      customIncrTtlLuaScript: ADD_SCRIPT,
      // Not connected: count in memory at once instead of sending a command that must fail.
      rejectIfRedisNotReady: true,
    }),
  );
  // The fallback is ours rather than rate-limiter-flexible's insurance limiter, which hides
  // which store answered: we need to know, to log the end of an outage that never dropped
  // the connection (a stalled Redis, commands timing out) and to give hits back where they went.
  const either = async <T>(inRedis: () => Promise<T>, inMemoryInstead: () => Promise<T>): Promise<T> => {
    let result: T;
    try {
      result = await inRedis();
    } catch (error) {
      outage.failed(error);
      return inMemoryInstead();
    }
    outage.recovered();
    return result;
  };
  return withStoreKeys({
    add: (key, points, windowSeconds) =>
      either(
        () => shared.add(key, points, windowSeconds),
        () => inMemory.add(key, points, windowSeconds),
      ),
    async giveBack(key, points) {
      // A hit counted in memory during an outage is given back there, even once Redis answers
      // again: Redis never saw it, and lowering its count would bank a free attempt.
      if (await standIn.holds(key)) return inMemory.giveBack(key, points);
      await either(
        () => shared.giveBack(key, points),
        () => inMemory.giveBack(key, points),
      );
    },
    async reset(key) {
      // Both: a success clears the account's count wherever an outage may have left one.
      await inMemory.reset(key);
      await either(
        () => shared.reset(key),
        async () => {},
      );
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
    async ping() {
      try {
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
  });
}

type Changes = Omit<Counters, 'close'>;

/** The three changes on one rate-limiter-flexible store; a store error rejects. */
function changesOn(limiter: RateLimiterAbstract): Changes {
  return {
    async add(key, points, windowSeconds) {
      const result = await limiter.penalty(key, points, { customDuration: windowSeconds });
      return {
        count: result.consumedPoints,
        resetInSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
      };
    },
    async giveBack(key, points) {
      await limiter.reward(key, points);
    },
    async reset(key) {
      await limiter.delete(key);
    },
  };
}

/** Every key goes through `storeKey` here, the one place, whichever store is behind. */
function withStoreKeys(counters: Counters): Counters {
  return {
    add: (key, points, windowSeconds) => counters.add(storeKey(key), points, windowSeconds),
    giveBack: (key, points) => counters.giveBack(storeKey(key), points),
    reset: (key) => counters.reset(storeKey(key)),
    close: () => counters.close(),
    ...(counters.ping && { ping: counters.ping }),
  };
}

/** The `Throttle` port (per-account sign-in attempts) on the shared counters. */
export function counterThrottle(counters: Counters): Throttle {
  // A per-address limit counted by a service (an email change mails like a reset request)
  // must hit the very counter the HTTP edge counts, `rate-limit:<limit>:<address>`; every
  // other key of the services lives under `throttle:`.
  const stored = (key: string) => (key.startsWith('rate-limit:') ? key : `throttle:${key}`);
  return {
    hit: (key, windowSeconds) => counters.add(stored(key), 1, windowSeconds),
    giveBack: (key) => counters.giveBack(stored(key), 1),
    reset: (key) => counters.reset(stored(key)),
  };
}

/**
 * Logs each outage once when it starts (error; again every OUTAGE_LOG_INTERVAL_MS while it
 * lasts, as a reminder) and once when it ends (warn). An outage ends when Redis answers a
 * command or the client is ready again, whichever comes first — a stalled Redis never drops
 * the connection, so `ready` alone would miss that end and swallow the next outage.
 */
function reportOutages(log: FastifyBaseLogger) {
  let down = false;
  let loggedAt = -Infinity;
  return {
    failed(error: unknown) {
      const now = performance.now();
      if (down && now - loggedAt < OUTAGE_LOG_INTERVAL_MS) return;
      const started = !down;
      down = true;
      loggedAt = now;
      log.error(
        { err: error },
        started
          ? "Redis unreachable: rate-limit and sign-in counters fall back to this node's memory; limits now hold per node, not across nodes"
          : "Redis still unreachable: counters are in this node's memory; limits hold per node",
      );
    },
    recovered() {
      if (!down) return;
      down = false;
      log.warn('Redis reachable again: counters are shared by every node again');
    },
  };
}
