import { hash, verify } from '@node-rs/argon2';
import { OverloadedError, parsePasswordHash, type PasswordHasher } from '@tessera/api';
import { slowestForeignCheckMs, verifyForeignHash } from './foreign-hashes.js';

export interface Argon2Settings {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  /** Hashes allowed at once; the rest wait, so signed-in reads keep their share of the pool. */
  maxConcurrency: number;
  /**
   * Hashes allowed to wait for a slot. Past it a hash is refused at once (OverloadedError,
   * 503 `overloaded`), so a flood of sign-ins cannot make real ones wait minutes in line.
   */
  maxQueue: number;
}

/** What the hasher's line looks like now (for the metrics). */
export interface HashQueue {
  /** Hashes running now. */
  running(): number;
  /** Hashes waiting for a slot now. */
  waiting(): number;
}

/** Told how long each hash waited for its slot, in seconds (0 when a slot was free). */
export type WaitListener = (seconds: number) => void;

/** The hasher, plus its line and what the sign-in timing floor needs to know about imported hashes. */
export interface ServerPasswordHasher extends PasswordHasher {
  queue: HashQueue;
  /** The slowest check of an imported hash this machine may have to make (ms), measured in the queue. */
  slowestForeignCheckMs(): Promise<number>;
}

export interface HasherEvents {
  /** Told before a hash from another system (an import) is checked: the timing floor rises. */
  onForeignCheck?: () => void;
  /** Told how long that check took (ms, not counting the wait for a slot). */
  onForeignCheckDone?: (ms: number) => void;
  /** Told how long each hash waited for its slot (the metrics' histogram). */
  onWait?: WaitListener;
}

/**
 * argon2id (the library's default algorithm; its `Algorithm` enum is a const enum we cannot
 * import under isolatedModules) with every cost parameter set explicitly from config.
 * `verify` also accepts the hashes an import brings (foreign-hashes.ts), in the same bounded
 * queue, so checking them cannot be used to take more CPU than argon2 sign-ins can; their
 * owners' first sign-in rehashes them (`needsRehash` is true for anything but our argon2id).
 */
export function createPasswordHasher(
  settings: Argon2Settings,
  events: HasherEvents = {},
): ServerPasswordHasher {
  const options = {
    memoryCost: settings.memoryCost,
    timeCost: settings.timeCost,
    parallelism: settings.parallelism,
  };
  const { limit, queue } = boundedQueue(settings.maxConcurrency, settings.maxQueue, events.onWait);
  const wanted = `m=${options.memoryCost},t=${options.timeCost},p=${options.parallelism}`;

  return {
    queue,
    hash: (password) => limit(() => hash(password, options)),
    verify: (stored, password) => {
      const foreign = stored.startsWith('$argon2id$') ? undefined : parsePasswordHash(stored);
      if (foreign) events.onForeignCheck?.();
      return limit(async () => {
        try {
          if (!foreign) return await verify(stored, password);
          if ('problem' in foreign) return false;
          const started = performance.now();
          const ok = await verifyForeignHash(foreign, password);
          events.onForeignCheckDone?.(performance.now() - started);
          return ok;
        } catch {
          // A malformed stored hash is a failed sign-in, not a crash.
          return false;
        }
      });
    },
    slowestForeignCheckMs: () => limit(slowestForeignCheckMs),
    needsRehash(stored) {
      const match = /^\$argon2id\$v=19\$([^$]+)\$/.exec(stored);
      return match?.[1] !== wanted;
    },
  };
}

/**
 * Runs at most `max` tasks at once, in arrival order; a finishing task hands its slot on. At
 * most `maxWaiting` wait: one more is refused with OverloadedError, whose Retry-After is how
 * long the line ahead takes at the recent pace.
 */
function boundedQueue(max: number, maxWaiting: number, onWait: WaitListener | undefined) {
  let running = 0;
  const waiting: (() => void)[] = [];
  /** Recent task duration in ms (moving average), to say when the line will have cleared. */
  let averageMs = 0;
  const queue: HashQueue = { running: () => running, waiting: () => waiting.length };

  const limit = async <T>(task: () => Promise<T>): Promise<T> => {
    const arrived = performance.now();
    if (running < max) running++;
    else if (waiting.length >= maxWaiting) {
      throw new OverloadedError(Math.max(1, Math.ceil(((waiting.length + max) * averageMs) / max / 1000)));
    } else await new Promise<void>((resolve) => waiting.push(resolve));
    const started = performance.now();
    onWait?.((started - arrived) / 1000);
    try {
      return await task();
    } finally {
      const took = performance.now() - started;
      averageMs = averageMs === 0 ? took : averageMs * 0.9 + took * 0.1;
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
  return { limit, queue };
}
