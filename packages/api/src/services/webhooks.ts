import { z } from 'zod';
import type { Caller, RequestInfo } from '../context.js';
import { authorize, fieldError, notFound } from '../errors.js';
import type { DeliveryRecord, Deps, Keyset, WebhookRecord } from '../ports/index.js';
import { cursorCodec, exactTimestamp } from '../schemas/users.js';
import type {
  CreatedWebhook,
  CreateWebhookInput,
  Delivery,
  DeliveryPage,
  ListDeliveriesInput,
  UpdateWebhookInput,
  Webhook,
} from '../schemas/webhooks.js';
import { newWebhookSecret } from '../secrets.js';
import { auditedBy, currentSubject, subjectOf } from './caller.js';

/**
 * Subscribes a URL to events. The URL's host must resolve to addresses other services may be
 * called on (WEBHOOK_ALLOW_PRIVATE lifts that); the sender checks again at every attempt.
 * The signing secret (`whsec_…`) is returned this once.
 */
export async function createWebhook(
  deps: Deps,
  request: RequestInfo,
  caller: Caller,
  input: CreateWebhookInput,
): Promise<CreatedWebhook> {
  authorize(subjectOf(caller), 'webhooks.manage');
  await assertTargetAllowed(deps, input.url);
  const secret = newWebhookSecret();
  const webhook = await deps.transact(async (stores) => {
    const me = await currentSubject(deps, stores, caller);
    authorize(me, 'webhooks.manage');
    const created = await stores.webhooks.insert({
      url: input.url,
      events: input.events,
      description: input.description ?? null,
      secret,
    });
    await stores.audit.record({
      ...auditedBy(me, request),
      action: 'webhooks.create',
      targetId: created.id,
      metadata: { url: created.url, events: created.events },
    });
    return created;
  });
  return { webhook: toWebhook(webhook), secret };
}

export async function listWebhooks(deps: Deps, caller: Caller): Promise<Webhook[]> {
  authorize(subjectOf(caller), 'webhooks.manage');
  return (await deps.stores.webhooks.list()).map(toWebhook);
}

/** Changes an endpoint's URL (checked like a new one), events, or turns it off and on. */
export async function updateWebhook(
  deps: Deps,
  request: RequestInfo,
  caller: Caller,
  input: UpdateWebhookInput,
): Promise<Webhook> {
  authorize(subjectOf(caller), 'webhooks.manage');
  if (input.url !== undefined) await assertTargetAllowed(deps, input.url);
  const { id, ...changes } = input;
  const updated = await deps.transact(async (stores) => {
    const me = await currentSubject(deps, stores, caller);
    authorize(me, 'webhooks.manage');
    const webhook = await stores.webhooks.update(id, changes);
    if (!webhook) throw noSuchWebhook();
    await stores.audit.record({
      ...auditedBy(me, request),
      action: 'webhooks.update',
      targetId: webhook.id,
      metadata: { changes },
    });
    return webhook;
  });
  return toWebhook(updated);
}

/** Deletes an endpoint and its delivery log; deliveries not yet sent are dropped. */
export async function deleteWebhook(
  deps: Deps,
  request: RequestInfo,
  caller: Caller,
  id: string,
): Promise<void> {
  authorize(subjectOf(caller), 'webhooks.manage');
  await deps.transact(async (stores) => {
    const me = await currentSubject(deps, stores, caller);
    authorize(me, 'webhooks.manage');
    if (!(await stores.webhooks.delete(id))) throw noSuchWebhook();
    await stores.audit.record({ ...auditedBy(me, request), action: 'webhooks.delete', targetId: id });
  });
}

const deliveryCursor = cursorCodec(z.object({ at: exactTimestamp, id: z.uuid() }));

/** An endpoint's delivery log, newest first: status, attempts, last status code and error. */
export async function listDeliveries(
  deps: Deps,
  caller: Caller,
  input: ListDeliveriesInput,
): Promise<DeliveryPage> {
  authorize(subjectOf(caller), 'webhooks.manage');
  let before: Keyset | undefined;
  if (input.cursor !== undefined) {
    const cursor = deliveryCursor.decode(input.cursor);
    if (!cursor) throw fieldError('cursor', 'invalid_cursor', {});
    before = { value: cursor.at, id: cursor.id };
  }
  if (!(await deps.stores.webhooks.findById(input.id))) throw noSuchWebhook();
  const rows = await deps.stores.webhooks.deliveries(input.id, before, input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > input.limit && last
      ? deliveryCursor.encode({ at: last.createdAtValue, id: last.delivery.id })
      : null;
  return { items: page.map((row) => toDelivery(row.delivery)), nextCursor };
}

/**
 * Sends a delivery again: back in the queue, due now, with a fresh count of attempts and the
 * same `webhook-id` (the same event: a receiver that already has it can tell).
 */
export async function redeliver(
  deps: Deps,
  request: RequestInfo,
  caller: Caller,
  deliveryId: string,
): Promise<void> {
  authorize(subjectOf(caller), 'webhooks.manage');
  await deps.transact(async (stores) => {
    const me = await currentSubject(deps, stores, caller);
    authorize(me, 'webhooks.manage');
    if (!(await stores.webhooks.redeliver(deliveryId))) throw notFound('delivery_not_found');
    await stores.audit.record({
      ...auditedBy(me, request),
      action: 'webhooks.redeliver',
      targetId: deliveryId,
    });
  });
}

async function assertTargetAllowed(deps: Deps, url: string): Promise<void> {
  const refusal = await deps.webhookTargets.refusal(url);
  if (refusal) throw fieldError('url', 'webhook_target_not_allowed', refusal);
}

const noSuchWebhook = () => notFound('webhook_not_found');

export function toWebhook(webhook: WebhookRecord): Webhook {
  return {
    id: webhook.id,
    url: webhook.url,
    events: webhook.events,
    description: webhook.description,
    enabled: webhook.enabled,
    createdAt: webhook.createdAt.toISOString(),
  };
}

function toDelivery(delivery: DeliveryRecord): Delivery {
  return {
    id: delivery.id,
    event: delivery.event,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    createdAt: delivery.createdAt.toISOString(),
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
  };
}
