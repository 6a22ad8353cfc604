import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { decide, type Action, type Subject, type Target } from './policy.js';

/**
 * Why a request failed, as a stable snake_case code in `data.reason` of every error (tRPC
 * and REST alike). Clients branch on and translate these; the `message` is for people.
 */
export type Reason = string;

/** The reason an error gets when nothing more specific was said, by its tRPC code. */
export const REASON_BY_CODE: Readonly<Partial<Record<TRPC_ERROR_CODE_KEY, Reason>>> = {
  PARSE_ERROR: 'malformed_request',
  BAD_REQUEST: 'invalid_input',
  UNAUTHORIZED: 'not_signed_in',
  FORBIDDEN: 'forbidden',
  NOT_FOUND: 'not_found',
  METHOD_NOT_SUPPORTED: 'method_not_supported',
  CONFLICT: 'conflict',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
  UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  TOO_MANY_REQUESTS: 'rate_limited',
  SERVICE_UNAVAILABLE: 'service_unavailable',
  INTERNAL_SERVER_ERROR: 'internal_error',
};

/** The cause behind every error we raise on purpose: its stable reason, and the input field it is about. */
export class ReasonError extends Error {
  constructor(
    readonly reason: Reason,
    message: string,
    /** For a rule broken by one input field, reported in `fieldErrors` like a zod failure. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ReasonError';
  }
}

/** A TRPCError carrying `reason` (and `field`, for a 400 about one input field). */
export function apiError(
  code: TRPC_ERROR_CODE_KEY,
  reason: Reason,
  message: string,
  field?: string,
): TRPCError {
  return new TRPCError({ code, message, cause: new ReasonError(reason, message, field) });
}

/** The reason for any error: the one it was raised with, else the default for its code. */
export function reasonOf(error: TRPCError): Reason {
  if (error.cause instanceof ReasonError) return error.cause.reason;
  return REASON_BY_CODE[error.code] ?? 'internal_error';
}

/** One message for every failed sign-in, so an answer never tells which part was wrong. */
export const INVALID_CREDENTIALS = 'Invalid email or password';

export const invalidCredentials = () => apiError('UNAUTHORIZED', 'invalid_credentials', INVALID_CREDENTIALS);

export const notSignedIn = () => apiError('UNAUTHORIZED', 'not_signed_in', 'Sign in to continue');

export const invalidRefreshToken = () =>
  apiError('UNAUTHORIZED', 'invalid_refresh_token', 'Invalid or expired refresh token');

export const tooManyAttempts = (retryAfterSeconds: number) =>
  apiError(
    'TOO_MANY_REQUESTS',
    'too_many_attempts',
    `Too many sign-in attempts. Try again in ${Math.max(1, Math.ceil(retryAfterSeconds / 60))} minute(s), or reset your password.`,
  );

export const emailTaken = () =>
  apiError('CONFLICT', 'email_taken', 'An account with this email already exists');

export const forbidden = (message = 'You are not allowed to do this', reason: Reason = 'forbidden') =>
  apiError('FORBIDDEN', reason, message);

/** Throws FORBIDDEN, with the policy's reason, unless the action is allowed. */
export function authorize(actor: Subject, action: Action, target?: Target): void {
  const decision = decide(actor, action, target);
  if (!decision.allowed) throw forbidden(decision.reason);
}

export const notFound = (message = 'Not found', reason: Reason = 'not_found') =>
  apiError('NOT_FOUND', reason, message);

export const databaseUnavailable = () =>
  apiError(
    'SERVICE_UNAVAILABLE',
    'service_unavailable',
    'The service is temporarily unavailable, try again shortly',
  );

/**
 * A BAD_REQUEST for one field, reported in the same `fieldErrors` shape as a zod validation
 * failure, so clients read every field problem the same way.
 */
export function fieldError(field: string, message: string, reason: Reason = 'invalid_input'): TRPCError {
  return apiError('BAD_REQUEST', reason, message, field);
}

/** Why an emailed link cannot be used, in words for the person who clicked it. */
export function unusableLink(reason: 'unknown' | 'used' | 'expired'): TRPCError {
  const messages = {
    unknown: 'This link is not valid (a newer one may have been sent). Request a new one.',
    used: 'This link has already been used. Request a new one.',
    expired: 'This link has expired. Request a new one.',
  } as const;
  const reasons = { unknown: 'link_invalid', used: 'link_used', expired: 'link_expired' } as const;
  return fieldError('token', messages[reason], reasons[reason]);
}

/** The second step of a sign-in cannot go on: unknown, used, expired or out of tries. */
export const invalidMfaToken = () =>
  apiError(
    'UNAUTHORIZED',
    'invalid_mfa_token',
    'This sign-in has expired or was already used: sign in again with your password',
  );

/** A wrong (or replayed) TOTP or recovery code. */
export const invalidMfaCode = () => apiError('UNAUTHORIZED', 'invalid_mfa_code', 'The code is not correct');

/** A passkey answer that does not verify: wrong origin, spent challenge, unknown or cloned credential. */
export const invalidPasskey = () =>
  apiError('UNAUTHORIZED', 'invalid_passkey', 'This passkey could not be verified; try again');

/** A member of a role in MFA_REQUIRED_ROLES calling anything but what sets a factor up. */
export const mfaEnrollmentRequired = () =>
  forbidden(
    'Your role requires a second factor: set up an authenticator app or a passkey first',
    'mfa_enrollment_required',
  );
