import type { AppRouter, RouterInputs, RouterOutputs } from '@tessera/api';

export type { AppRouter, RouterInputs, RouterOutputs };
export { broadcastSync, createBrowserSession, webLock } from './browser-session.js';
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
export { retryDelay, retryLink, type RetryOptions } from './retry.js';
export {
  COOKIE,
  createSession,
  memoryStore,
  type AuthResult,
  type GetAssertion,
  type MfaChallenge,
  type MfaMethod,
  type PasskeyAssertion,
  type PasskeyRequestOptions,
  type RefreshTokenStore,
  type SecondFactorStep,
  type SignInResult,
  type Session,
  type SessionEvent,
  type SessionOptions,
  type SessionSync,
  type SignOutReason,
  type User,
} from './session.js';
// The server's own role policy and audit vocabulary (pure code, bundled in): show only the
// controls the server will allow, and filter by the actions it records.
export {
  allowedBeforeMfaEnrollment,
  auditActions,
  webhookEvents,
  can,
  creatableRoles,
  decide,
  mfaEnrollmentRequired,
  roles,
  type Action,
  type AuditAction,
  type Decision,
  type Role,
  type Subject,
  type Target,
  type WebhookEventType,
} from '@tessera/api/shared';
