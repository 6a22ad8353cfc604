// Pure on purpose, like policy.ts: @tessera/client bundles it, so a receiver's type of
// `event.type` is the server's own list.

/** Every event a webhook may subscribe to (DESIGN.md, "Service accounts, webhooks…"). */
export const webhookEvents = [
  'user.created',
  'user.updated',
  'user.deleted',
  'user.role_changed',
  'user.disabled',
  'user.enabled',
  'user.email_verified',
  'user.password_changed',
  'session.revoked',
] as const;
export type WebhookEventType = (typeof webhookEvents)[number];
