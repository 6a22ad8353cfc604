/**
 * How long a failed sign-in takes at least, so its timing tells nothing about the account.
 *
 * An unknown email is checked against a dummy argon2id hash, as fast as a real one, and the
 * answer is padded to `baseMs` (ENUMERATION_FLOOR_MS). An imported account may still hold
 * another system's hash until its owner signs in — a bcrypt or PBKDF2 check can take 300 ms —
 * and a failed sign-in to it would stand out (and give away which kind of hash it holds).
 * So while any such hash is left in the database, every failed sign-in, known email or not,
 * waits for the slowest check an import may bring (measured once on this machine, at the
 * ceilings of PASSWORD_HASH_CEILINGS, with a margin, and raised again whenever a real check
 * here took longer, as on a machine busier than when measured). Whether any is left is global, not
 * about one account, so asking tells an attacker nothing; it is asked at most every
 * RECHECK_MS, and a node that checks a foreign hash itself knows at once.
 */
export interface SignInFloor {
  /**
   * The least duration of a failed sign-in now, in ms. Never rejects. When the database cannot
   * say whether imported hashes are left, the last floor handed out stands (a failed look-up
   * must not let one sign-in answer early, the very difference the floor hides); when
   * measuring fails, the floor goes by the checks seen here until a measurement succeeds.
   */
  floorMs(): Promise<number>;
  /** A foreign hash is being checked here: raise the floor before this answer goes out. */
  foreignHashSeen(): void;
  /** A foreign check took `ms`: a busier machine than when measured raises the floor to match. */
  foreignCheckTook(ms: number): void;
}

/** Room for a slower check than the one measured (another process on the same cores). */
const MARGIN = 1.25;

/** How fast the memory of a slow foreign check fades: it halves in this time. */
const OBSERVED_HALF_LIFE_MS = 10 * 60_000;

/** How long "are imported hashes left?" stays answered before the database is asked again. */
export const RECHECK_MS = 10_000;

export function createSignInFloor(options: {
  baseMs: number;
  hasForeignHashes: () => Promise<boolean>;
  slowestForeignCheckMs: () => Promise<number>;
  now?: () => number;
}): SignInFloor {
  const now = options.now ?? performance.now.bind(performance);
  /** The floor last handed out: what a failed look-up answers. */
  let last = options.baseMs;
  let known: { at: number; foreign: Promise<boolean> } | undefined;
  let slowest: Promise<number> | undefined;
  /** The slowest recent foreign check here (decaying): the measurement may have been made on a quieter machine. */
  let observed = 0;
  let observedAt = 0;
  const recentSlowest = () => observed * 0.5 ** ((now() - observedAt) / OBSERVED_HALF_LIFE_MS);

  const raised = async () => {
    slowest ??= options.slowestForeignCheckMs().catch(() => {
      slowest = undefined; // Measure again next time (the queue was full, say)
      return 0; // and meanwhile go by the checks seen here.
    });
    return Math.max(options.baseMs, Math.ceil(Math.max(await slowest, recentSlowest()) * MARGIN));
  };

  const current = async () => {
    if (!known || now() - known.at > RECHECK_MS) {
      const foreign = options.hasForeignHashes();
      known = { at: now(), foreign };
      // A failed look-up is asked again next time rather than remembered.
      foreign.catch(() => (known = undefined));
    }
    return (await known.foreign) ? raised() : options.baseMs;
  };

  return {
    async floorMs() {
      try {
        last = await current();
      } catch {
        // Keep `last`: the floor in force before this look-up failed.
      }
      return last;
    },
    foreignHashSeen() {
      known = { at: now(), foreign: Promise.resolve(true) };
      // Start measuring now, while the check itself runs.
      void raised();
    },
    foreignCheckTook(ms) {
      // A maximum that halves every OBSERVED_HALF_LIFE_MS: a slow spell raises the floor at
      // once and keeps it up while it lasts (a floor that fell after each check would let the
      // next slow check show), then it falls back instead of slowing failed sign-ins for good.
      observed = Math.max(ms, recentSlowest());
      observedAt = now();
    },
  };
}
