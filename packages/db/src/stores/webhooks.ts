import type { DeliveryRecord, EventStore, WebhookEventType, WebhookRecord, WebhookStore } from '@tessera/api';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, WebhookDeliveriesTable, WebhooksTable } from '../database.js';
import { seal } from '../sealed.js';

const webhookColumns = ['id', 'url', 'events', 'description', 'enabled', 'created_at'] as const;

function toWebhookRecord(
  row: Pick<Selectable<WebhooksTable>, (typeof webhookColumns)[number]>,
): WebhookRecord {
  return {
    id: row.id,
    url: row.url,
    events: row.events as WebhookEventType[],
    description: row.description,
    enabled: row.enabled,
    createdAt: row.created_at,
  };
}

const deliveryColumns = [
  'id',
  'webhook_id',
  'event',
  'status',
  'attempts',
  'last_status_code',
  'last_error',
  'created_at',
  'delivered_at',
] as const;

function toDeliveryRecord(
  row: Pick<Selectable<WebhookDeliveriesTable>, (typeof deliveryColumns)[number]>,
): DeliveryRecord {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    event: row.event as WebhookEventType,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}

/** The `webhooks` table and its delivery log; signing secrets are sealed with `secretKey`. */
export function webhookStore(db: Kysely<Database>, secretKey: Uint8Array | undefined): WebhookStore {
  return {
    async insert(webhook) {
      if (!secretKey) throw new Error('A webhook secret key is required to store a webhook');
      const row = await db
        .insertInto('webhooks')
        .values({
          url: webhook.url,
          events: webhook.events,
          description: webhook.description,
          secret: seal(webhook.secret, secretKey),
        })
        .returning(webhookColumns)
        .executeTakeFirstOrThrow();
      return toWebhookRecord(row);
    },

    async list() {
      const rows = await db
        .selectFrom('webhooks')
        .select(webhookColumns)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toWebhookRecord);
    },

    async findById(id) {
      const row = await db
        .selectFrom('webhooks')
        .select(webhookColumns)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toWebhookRecord(row);
    },

    async update(id, changes) {
      const row = await db
        .updateTable('webhooks')
        .set({
          ...(changes.url !== undefined && { url: changes.url }),
          ...(changes.events !== undefined && { events: changes.events }),
          ...(changes.enabled !== undefined && { enabled: changes.enabled }),
          updated_at: sql`now()`,
        })
        .where('id', '=', id)
        .returning(webhookColumns)
        .executeTakeFirst();
      return row && toWebhookRecord(row);
    },

    async delete(id) {
      const result = await db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async deliveries(webhookId, before, limit) {
      let select = db
        .selectFrom('webhook_deliveries')
        .select(deliveryColumns)
        // Exact to the microsecond: one transaction's deliveries share created_at.
        .select(
          sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(
            'created_at_value',
          ),
        )
        .where('webhook_id', '=', webhookId);
      if (before)
        select = select.where(
          sql<boolean>`(created_at, id) < (${before.value}::timestamptz, ${before.id}::uuid)`,
        );
      const rows = await select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map((row) => ({ delivery: toDeliveryRecord(row), createdAtValue: row.created_at_value }));
    },

    async redeliver(deliveryId) {
      const result = await db
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', attempts: 0, next_attempt_at: sql`now()`, delivered_at: null })
        .where('id', '=', deliveryId)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}

/**
 * Queues an event for every enabled endpoint subscribed to it, in one INSERT … SELECT in the
 * caller's transaction. `queued` hears when rows were written (the server wakes its
 * delivery worker once they are committed).
 */
export function eventStore(db: Kysely<Database>, queued?: () => void): EventStore {
  return {
    async emit(messages) {
      if (messages.length === 0) return;
      const types = messages.map((message) => message.type);
      const payloads = messages.map((message) => JSON.stringify(message));
      const result = await db
        .insertInto('webhook_deliveries')
        .columns(['webhook_id', 'event', 'payload'])
        .expression(
          sql<{ webhook_id: string; event: string; payload: string }>`
            select w.id, m.event, m.payload
            from unnest(${types}::text[], ${payloads}::text[]) with ordinality as m(event, payload, n)
            join webhooks w on w.enabled and m.event = any(w.events)
            order by m.n`,
        )
        .executeTakeFirst();
      if (queued && Number(result.numInsertedOrUpdatedRows ?? 0n) > 0) queued();
    },
  };
}
