import type { AppRouter, RouterInputs, RouterOutputs } from '@tessera/api';

export type { AppRouter, RouterInputs, RouterOutputs };
export { createClient, type ClientOptions, type TesseraClient } from './create-client.js';
export {
  verifyAccessToken,
  verifyWebhook,
  type VerifiedAccessToken,
  type VerifyAccessTokenOptions,
  type WebhookEvent,
  type WebhookHeaders,
} from './server.js';
export { errorCode, errorReason, fieldErrors, isTesseraError, type TesseraClientError } from './errors.js';
export {
  createSession,
  memoryStore,
  type AuthResult,
  type RefreshTokenStore,
  type Session,
  type SessionEvent,
  type SessionOptions,
  type SignOutReason,
  type User,
} from './session.js';
// The server's own role policy and audit vocabulary (pure code, bundled in): show only the
// controls the server will allow, and filter by the actions it records.
export {
  auditActions,
  webhookEvents,
  can,
  creatableRoles,
  decide,
  roles,
  type Action,
  type AuditAction,
  type Decision,
  type Role,
  type Subject,
  type Target,
  type WebhookEventType,
} from '@tessera/api/shared';
