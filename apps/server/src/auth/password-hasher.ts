import { hash, verify } from '@node-rs/argon2';
import type { PasswordHasher } from '@tessera/api';

export interface Argon2Settings {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  /** Hashes allowed at once; the rest wait, so signed-in reads keep their share of the pool. */
  maxConcurrency: number;
}

/**
 * argon2id (the library's default algorithm; its `Algorithm` enum is a const enum we cannot
 * import under isolatedModules) with every cost parameter set explicitly from config.
 */
export function createPasswordHasher(settings: Argon2Settings): PasswordHasher {
  const options = {
    memoryCost: settings.memoryCost,
    timeCost: settings.timeCost,
    parallelism: settings.parallelism,
  };
  const limit = semaphore(settings.maxConcurrency);
  const wanted = `m=${options.memoryCost},t=${options.timeCost},p=${options.parallelism}`;

  return {
    hash: (password) => limit(() => hash(password, options)),
    async verify(stored, password) {
      try {
        return await limit(() => verify(stored, password));
      } catch {
        // A malformed stored hash is a failed sign-in, not a crash.
        return false;
      }
    },
    needsRehash(stored) {
      const match = /^\$argon2id\$v=19\$([^$]+)\$/.exec(stored);
      return match?.[1] !== wanted;
    },
  };
}

/** Runs at most `max` tasks at once, in arrival order; a finishing task hands its slot on. */
function semaphore(max: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < max) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
