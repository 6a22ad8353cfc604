import type { RequestInfo } from '../context.js';
import { apiError } from '../errors.js';
import type { AddressLimitName, Deps } from '../ports/index.js';

/**
 * Counts one call against a per-address limit, for calls the limits at the HTTP edge cannot
 * tell apart from their body: `users.updateMe` mails and checks a password only when it
 * changes the email. Counted under `rate-limit:<limit>:<address>` with the limit's window
 * (RATE_LIMIT_MAIL, RATE_LIMIT_PASSWORD_CHECKS); over it, 429 `rate_limited` with Retry-After,
 * as the edge answers. Call it before the work it guards: a refused call has done nothing.
 */
export async function countAgainstAddressLimit(
  deps: Deps,
  request: RequestInfo,
  limitName: AddressLimitName,
): Promise<void> {
  const limit = deps.settings.addressLimits?.[limitName];
  if (!limit) return;
  const { count, resetInSeconds } = await deps.throttle.hit(
    `rate-limit:${limitName}:${request.clientAddress}`,
    limit.windowSeconds,
  );
  if (count <= limit.max) return;
  const seconds = Math.max(1, resetInSeconds);
  request.setHeader('Retry-After', String(seconds));
  // Worded as the per-address limits at the HTTP edge word it.
  throw apiError('TOO_MANY_REQUESTS', 'rate_limited', { retryAfterSeconds: seconds, what: limitName });
}
