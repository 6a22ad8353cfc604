import type { Clock, Stores, UserRecord } from '../ports/index.js';
import type { WebhookEventType } from '../webhook-events.js';
import { toUser } from './user-view.js';

/**
 * The one way a change tells other services about itself: call it inside the change's
 * transaction, with the user as they are after it (before it, for `user.deleted`). It queues a
 * delivery for every endpoint subscribed to `type`; the deliveries commit or roll back with
 * the change. `extra` joins `user` in `data` (session.revoked names its session).
 */
export function emit(
  deps: { clock: Clock },
  stores: Stores,
  type: WebhookEventType,
  user: UserRecord,
  extra: Record<string, unknown> = {},
): Promise<void> {
  return emitAll(deps, stores, [{ type, user, extra }]);
}

/** One change's worth of events at once (an import batch): one statement however many. */
export async function emitAll(
  deps: { clock: Clock },
  stores: Stores,
  events: readonly { type: WebhookEventType; user: UserRecord; extra?: Record<string, unknown> }[],
): Promise<void> {
  if (events.length === 0) return;
  const timestamp = deps.clock.now().toISOString();
  await stores.events.emit(
    events.map(({ type, user, extra }) => ({ type, timestamp, data: { user: toUser(user), ...extra } })),
  );
}
