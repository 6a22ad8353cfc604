import {
  claimDueDeliveries,
  markDelivered,
  markDeliveryFailed,
  pruneDeliveries,
  type ClaimedDelivery,
  type Database,
} from '@tessera/db';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { retryDelayMs } from '../ops/backoff.js';
import { postDelivery, type AttemptResult } from './sender.js';
import { TargetRefusedError, type WebhookTargetGuard } from './targets.js';

export interface DeliveryWorkerOptions {
  db: Kysely<Database>;
  guard: WebhookTargetGuard;
  /** Unseals endpoints' signing secrets. */
  secretKey: Uint8Array;
  log: FastifyBaseLogger;
  /** WEBHOOK_MAX_ATTEMPTS: attempts before a delivery is marked failed. */
  maxAttempts: number;
  /** WEBHOOK_RETRY_BASE_MS: the first retry's delay (ops/backoff.ts). */
  retryBaseMs: number;
  /** How often an idle worker looks for due deliveries queued by other nodes (or due retries). */
  pollIntervalMs: number;
  /** Deliveries in flight at once on this node. */
  concurrency?: number;
  /** The app's clock (tests travel in time); retention is measured with it. */
  now?: () => number;
  /** Resolves true once this node may send (its signing key is the other nodes': it can read their secrets). */
  ready?: () => Promise<boolean>;
  /** Told the moment a receiver answered 2xx (the latency benchmark listens). */
  onDelivered?: (delivery: ClaimedDelivery) => void;
}

export interface DeliveryWorker {
  /** Looks for due deliveries now (the node that queued some calls it once they are committed). */
  wake(): void;
  /** Sends every due delivery now and waits for every attempt in flight; resolves with how many it sent. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

/** A claim outlives the longest attempt (DNS, connect, 10 s for an answer) with room to spare. */
const LEASE_SECONDS = 60;
const DEFAULT_CONCURRENCY = 16;
/** Delivered rows are kept a week, failed ones 30 days (the delivery log shows them), then deleted. */
export const DELIVERED_RETENTION_HOURS = 168;
export const FAILED_RETENTION_HOURS = 720;
const PRUNE_INTERVAL_MS = 60_000;
const PRUNE_BATCH = 500;
const PRUNE_MAX_BATCHES = 20;
const HOUR_MS = 3_600_000;

/**
 * Sends queued webhook deliveries until stopped; safe on every node (claims use SKIP LOCKED).
 * Up to `concurrency` attempts run at once, so one slow receiver (up to 10 s) does not hold
 * up the others: as soon as a slot frees, the worker claims more.
 */
export function startDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { db, log } = options;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const now = options.now ?? Date.now;
  const inFlight = new Set<Promise<void>>();
  /** Claims under way (rows taken in the database, not yet in `inFlight`): drain waits for them too. */
  const claiming = new Set<Promise<number>>();
  let stopped = false;
  let woken = false;
  let wakeUp: (() => void) | undefined;
  let lastPrune = -Infinity;

  function wake() {
    woken = true;
    wakeUp?.();
  }

  /** Claims what fits in the free slots and starts sending it; resolves with how many it claimed. */
  function claim(): Promise<number> {
    const pass = claimFreeSlots().finally(() => claiming.delete(pass));
    claiming.add(pass);
    return pass;
  }

  async function claimFreeSlots(): Promise<number> {
    const free = concurrency - inFlight.size;
    if (free <= 0) return 0;
    if (options.ready && !(await options.ready())) return 0;
    const claimed = await claimDueDeliveries(db, {
      limit: free,
      leaseSeconds: LEASE_SECONDS,
      secretKey: options.secretKey,
    });
    for (const delivery of claimed) {
      const attempt = deliver(delivery)
        .catch((error: unknown) =>
          log.warn({ err: error, deliveryId: delivery.id }, 'webhook attempt failed'),
        )
        .finally(() => {
          inFlight.delete(attempt);
          wake();
        });
      inFlight.add(attempt);
    }
    return claimed.length;
  }

  async function deliver(delivery: ClaimedDelivery): Promise<void> {
    const result = await attempt(delivery);
    if (result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300) {
      await markDelivered(db, delivery, result.statusCode);
      options.onDelivered?.(delivery);
      return;
    }
    const error =
      result.statusCode === null
        ? result.error
        : result.statusCode >= 300 && result.statusCode < 400
          ? `HTTP ${result.statusCode}: redirects are not followed`
          : `HTTP ${result.statusCode}`;
    const outcome = await markDeliveryFailed(
      db,
      delivery,
      { statusCode: result.statusCode, error },
      { maxAttempts: options.maxAttempts, retryInMs: retryDelayMs(options.retryBaseMs, delivery.attempt) },
    );
    log.warn(
      { deliveryId: delivery.id, attempt: delivery.attempt, outcome, err: error },
      'webhook delivery failed',
    );
  }

  /** One attempt: the target checked again now (DNS may have changed since creation), then the POST. */
  async function attempt(delivery: ClaimedDelivery): Promise<AttemptResult> {
    if (delivery.secret === undefined)
      return { statusCode: null, error: 'The signing secret cannot be read (was the signing key changed?)' };
    try {
      const target = await options.guard.check(new URL(delivery.url));
      return await postDelivery(target, {
        id: delivery.id,
        payload: delivery.payload,
        secret: delivery.secret,
      });
    } catch (error) {
      if (error instanceof TargetRefusedError)
        return { statusCode: null, error: `Refused: ${error.message}` };
      throw error;
    }
  }

  async function pruneIfDue(): Promise<void> {
    const at = now();
    if (at - lastPrune < PRUNE_INTERVAL_MS) return;
    lastPrune = at;
    const deleted = await pruneDeliveries(db, {
      deliveredBefore: new Date(at - DELIVERED_RETENTION_HOURS * HOUR_MS),
      failedBefore: new Date(at - FAILED_RETENTION_HOURS * HOUR_MS),
      batchSize: PRUNE_BATCH,
      maxBatches: PRUNE_MAX_BATCHES,
    });
    if (deleted > 0) log.debug({ deleted }, 'deleted webhook deliveries past their retention');
  }

  async function loop() {
    while (!stopped) {
      woken = false;
      let claimed = 0;
      try {
        claimed = await claim();
        await pruneIfDue();
      } catch (error) {
        log.warn({ err: error }, 'webhook delivery pass failed');
      }
      // Claimed a full share: there may be more due at once. Otherwise wait for a wake-up (a
      // commit on this node, a free slot) or the poll.
      if (stopped || (claimed > 0 && inFlight.size < concurrency) || woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollIntervalMs);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = undefined;
    }
  }

  const running = loop();
  return {
    wake,
    async drain() {
      let sent = 0;
      for (;;) {
        const claimed = await claim();
        sent += claimed;
        // The loop's own claim may hold rows this one could not take: wait for it and what it sends.
        if (claimed === 0 && inFlight.size === 0 && claiming.size === 0) break;
        await Promise.race([...inFlight, ...[...claiming].map((pass) => pass.catch(() => 0))]);
      }
      await pruneIfDue();
      return sent;
    },
    async stop() {
      stopped = true;
      wake();
      await running;
      await Promise.allSettled(inFlight);
    },
  };
}
