import type { WebhookEventType } from '../webhook-events.js';
import type { Keyset } from './users.js';

export interface WebhookRecord {
  id: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  enabled: boolean;
  createdAt: Date;
}

export interface NewWebhook {
  url: string;
  events: WebhookEventType[];
  description: string | null;
  /** The whsec_ signing secret; the store seals it at rest. */
  secret: string;
}

export interface WebhookChanges {
  url?: string;
  events?: WebhookEventType[];
  enabled?: boolean;
}

export interface DeliveryRecord {
  id: string;
  webhookId: string;
  event: WebhookEventType;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

export interface DeliveryListRow {
  delivery: DeliveryRecord;
  /** `created_at` exactly as stored (microseconds), for the next page's keyset. */
  createdAtValue: string;
}

export interface WebhookStore {
  insert(webhook: NewWebhook): Promise<WebhookRecord>;
  /** Every endpoint, oldest first. */
  list(): Promise<WebhookRecord[]>;
  findById(id: string): Promise<WebhookRecord | undefined>;
  update(id: string, changes: WebhookChanges): Promise<WebhookRecord | undefined>;
  delete(id: string): Promise<boolean>;
  /** One page of an endpoint's deliveries, newest first, in (created_at, id) keyset order. */
  deliveries(webhookId: string, before: Keyset | undefined, limit: number): Promise<DeliveryListRow[]>;
  /** Puts a delivery back in the queue, due now, with a fresh count of attempts; false if unknown. */
  redeliver(deliveryId: string): Promise<boolean>;
}

/** The body every receiver gets: `{ type, timestamp, data }`, `data.user` a User. */
export interface WebhookMessage {
  type: WebhookEventType;
  /** ISO 8601, when the change happened. */
  timestamp: string;
  data: Record<string, unknown>;
}

export interface EventStore {
  /**
   * Queues each message for every enabled endpoint subscribed to its type, in one statement in
   * the caller's transaction: the deliveries exist exactly when the change does.
   */
  emit(messages: readonly WebhookMessage[]): Promise<void>;
}

/**
 * Decides whether a webhook URL may be called: its host's addresses (resolved now) must not
 * be loopback, private, link-local, unspecified… unless WEBHOOK_ALLOW_PRIVATE is set. The
 * server implements it (the api package has no network of its own).
 */
export type { WebhookTargetRefusal } from '../i18n/error-messages.js';
import type { WebhookTargetRefusal } from '../i18n/error-messages.js';

export interface WebhookTargets {
  /** Undefined when the URL may be called; otherwise why not (worded per language by the catalogue). */
  refusal(url: string): Promise<WebhookTargetRefusal | undefined>;
}
