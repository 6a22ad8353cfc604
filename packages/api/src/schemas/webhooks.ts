import { z } from 'zod';
import { field } from '../i18n/field-messages.js';
import { webhookEvents } from '../webhook-events.js';
import { isoDateTime, safeText, uuid } from './common.js';
import { cursorText, pageLimit } from './users.js';

export { webhookEvents, type WebhookEventType } from '../webhook-events.js';
export const webhookEvent = z.enum(webhookEvents);

/** An endpoint as lists show it: never its secret. */
export const webhook = z.object({
  id: uuid,
  url: z.string(),
  events: z.array(webhookEvent),
  description: z.string().nullable(),
  enabled: z.boolean(),
  createdAt: isoDateTime,
});
export type Webhook = z.infer<typeof webhook>;

/** One event sent (or to be sent) to one endpoint. */
export const delivery = z.object({
  id: uuid,
  event: webhookEvent,
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: isoDateTime,
  deliveredAt: isoDateTime.nullable(),
});
export type Delivery = z.infer<typeof delivery>;

/**
 * Where events go: an absolute http(s) URL without credentials in it. Whether its host may be
 * reached (no loopback, private, link-local… targets) is checked by the service on resolved
 * addresses, at creation and again at every send.
 */
export const webhookUrl = safeText(2048).pipe(
  z
    .url({ protocol: /^https?$/, error: field('url_invalid') })
    .refine((value) => {
      const url = new URL(value);
      return url.username === '' && url.password === '';
    }, field('url_credentials'))
    .refine((value) => !value.includes('#'), field('url_fragment')),
);

const eventList = z
  .array(webhookEvent)
  .min(1, field('events_required'))
  .max(webhookEvents.length)
  .transform((events) => [...new Set(events)]);

export const createWebhookInput = z.object({
  url: webhookUrl,
  events: eventList,
  description: safeText(500).optional(),
});
export type CreateWebhookInput = z.infer<typeof createWebhookInput>;

/** The new endpoint and its signing secret (`whsec_…`), shown this once and never again. */
export const createdWebhook = z.object({ webhook, secret: z.string() });
export type CreatedWebhook = z.infer<typeof createdWebhook>;

export const updateWebhookInput = z.object({
  id: uuid,
  url: webhookUrl.optional(),
  events: eventList.optional(),
  enabled: z
    .boolean()
    .transform((b) => b)
    .optional(),
});
export type UpdateWebhookInput = z.infer<typeof updateWebhookInput>;

export const webhookIdInput = z.object({ id: uuid });

export const listDeliveriesInput = z.object({
  id: uuid,
  /** `nextCursor` of the previous page; omit for the newest deliveries. */
  cursor: cursorText.optional(),
  limit: pageLimit(20),
});
export type ListDeliveriesInput = z.infer<typeof listDeliveriesInput>;

export const deliveryPage = z.object({ items: z.array(delivery), nextCursor: z.string().nullable() });
export type DeliveryPage = z.infer<typeof deliveryPage>;

export const redeliverInput = z.object({ deliveryId: uuid });
