import type { AppRouter, RouterInputs, RouterOutputs } from '@tessera/api';

export type { AppRouter, RouterInputs, RouterOutputs };
export { createClient, type ClientOptions, type TesseraClient } from './create-client.js';
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
