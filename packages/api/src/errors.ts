import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { decide, type Action, type Subject, type Target } from './policy.js';

import { errorMessage, type Reason, type ReasonParamsArg } from './i18n/error-messages.js';
import type { Locale } from './i18n/locales.js';
import type { PolicyRule } from './i18n/policy-refusals.js';
import type { PasswordProblem } from './password-policy.js';

export type { Reason } from './i18n/error-messages.js';

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

/**
 * The cause behind every error we raise on purpose: its stable reason and the parameters of
 * its message, so the message can be rendered in the caller's language when the answer is
 * formatted (trpc.ts); `message` is the English one, for logs and in-process callers.
 */
export class ReasonError extends Error {
  constructor(
    readonly reason: Reason,
    readonly params: unknown,
    /** For a rule broken by one input field, reported in `fieldErrors` like a zod failure. */
    readonly field?: string,
  ) {
    super(errorMessage(reason, 'en', params));
    this.name = 'ReasonError';
  }

  /** The message in `locale`. */
  messageIn(locale: Locale): string {
    return errorMessage(this.reason, locale, this.params);
  }
}

/** A TRPCError carrying `reason` and its message's parameters. */
export function apiError<R extends Reason>(
  code: TRPC_ERROR_CODE_KEY,
  reason: R,
  ...params: ReasonParamsArg<R>
): TRPCError {
  const cause = new ReasonError(reason, params[0]);
  return new TRPCError({ code, message: cause.message, cause });
}

/** The reason for any error: the one it was raised with, else the default for its code. */
export function reasonOf(error: TRPCError): Reason {
  if (error.cause instanceof ReasonError) return error.cause.reason;
  return REASON_BY_CODE[error.code] ?? 'internal_error';
}

/** An error's message in `locale`: its reason's, with the parameters it was raised with. */
export function messageIn(error: TRPCError, locale: Locale): string {
  if (error.cause instanceof ReasonError) return error.cause.messageIn(locale);
  return errorMessage(reasonOf(error), locale);
}

/** One message for every failed sign-in, so an answer never tells which part was wrong. */
export const INVALID_CREDENTIALS = errorMessage('invalid_credentials', 'en');

export const invalidCredentials = () => apiError('UNAUTHORIZED', 'invalid_credentials');

export const notSignedIn = () => apiError('UNAUTHORIZED', 'not_signed_in');

export const invalidRefreshToken = () => apiError('UNAUTHORIZED', 'invalid_refresh_token');

export const tooManyAttempts = (retryAfterSeconds: number) =>
  apiError('TOO_MANY_REQUESTS', 'too_many_attempts', { retryAfterSeconds });

export const emailTaken = () => apiError('CONFLICT', 'email_taken');

/** FORBIDDEN by the role policy: the rule that refused says why (any rule: the generic words). */
export const forbidden = (rule?: PolicyRule) => apiError('FORBIDDEN', 'forbidden', rule ? { rule } : {});

/** Throws FORBIDDEN, with the policy's reason, unless the action is allowed. */
export function authorize(actor: Subject, action: Action, target?: Target): void {
  const decision = decide(actor, action, target);
  if (!decision.allowed) throw forbidden(decision.rule);
}

export const notFound = (
  reason:
    | 'not_found'
    | 'user_not_found'
    | 'session_not_found'
    | 'passkey_not_found'
    | 'api_key_not_found'
    | 'webhook_not_found'
    | 'delivery_not_found' = 'not_found',
) => apiError('NOT_FOUND', reason);

export const databaseUnavailable = () => apiError('SERVICE_UNAVAILABLE', 'service_unavailable');

/**
 * A BAD_REQUEST for one field, reported in the same `fieldErrors` shape as a zod validation
 * failure, so clients read every field problem the same way.
 */
export function fieldError<R extends Reason>(
  field: string,
  reason: R,
  ...params: ReasonParamsArg<R>
): TRPCError {
  const cause = new ReasonError(reason, params[0], field);
  return new TRPCError({ code: 'BAD_REQUEST', message: cause.message, cause });
}

/** A BAD_REQUEST on `field` for a password the policy refuses. */
export function passwordRefused(field: string, problem: PasswordProblem): TRPCError {
  const cause = new ReasonError(problem.reason, problem.params, field);
  return new TRPCError({ code: 'BAD_REQUEST', message: cause.message, cause });
}

/** Why an emailed link cannot be used, in words for the person who clicked it. */
export function unusableLink(reason: 'unknown' | 'used' | 'expired'): TRPCError {
  const reasons = { unknown: 'link_invalid', used: 'link_used', expired: 'link_expired' } as const;
  return fieldError('token', reasons[reason]);
}

/** The second step of a sign-in cannot go on: unknown, used, expired or out of tries. */
export const invalidMfaToken = () => apiError('UNAUTHORIZED', 'invalid_mfa_token');

/** A wrong (or replayed) TOTP or recovery code. */
export const invalidMfaCode = () => apiError('UNAUTHORIZED', 'invalid_mfa_code');

/** A passkey answer that does not verify: wrong origin, spent challenge, unknown or cloned credential. */
export const invalidPasskey = () => apiError('UNAUTHORIZED', 'invalid_passkey');

/** A change to sign-in methods from a session older than `minutes`: the caller signs in again first. */
export const recentSignInRequired = (minutes: number) =>
  apiError('FORBIDDEN', 'recent_sign_in_required', { minutes });

/** A member of a role in MFA_REQUIRED_ROLES calling anything but what sets a factor up. */
export const mfaEnrollmentRequired = () => apiError('FORBIDDEN', 'mfa_enrollment_required');
