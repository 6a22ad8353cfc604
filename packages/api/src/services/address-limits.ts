import type { RequestInfo } from '../context.js';
import { apiError } from '../errors.js';
import type { AddressLimitName, Deps } from '../ports/index.js';

/** What a refusal says, as the per-address limits at the HTTP edge say it. */
const MESSAGES: Record<AddressLimitName, string> = {
  mail: 'Too many emails requested from your network',
  passwordChecks: 'Too many password checks from your network',
};

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
  const minutes = Math.ceil(seconds / 60);
  request.setHeader('Retry-After', String(seconds));
  throw apiError(
    'TOO_MANY_REQUESTS',
    'rate_limited',
    `${MESSAGES[limitName]}. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
  );
}
