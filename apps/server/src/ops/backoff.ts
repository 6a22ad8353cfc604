/** No retry waits longer than an hour. */
export const MAX_RETRY_DELAY_MS = 3_600_000;

/**
 * How long to wait after failed attempt number `attempt` (1 for the first) before the next:
 * `baseMs`, doubling each time, ±20 % jitter (so a receiver that was down is not hit by
 * every retry at once when it returns), capped at an hour. The mail outbox and webhook
 * deliveries both retry this way (MAIL_RETRY_BASE_MS, WEBHOOK_RETRY_BASE_MS).
 */
export function retryDelayMs(baseMs: number, attempt: number, random: () => number = Math.random): number {
  const doubled = baseMs * 2 ** Math.min(attempt - 1, 40);
  return Math.min(doubled * (0.8 + random() * 0.4), MAX_RETRY_DELAY_MS);
}
