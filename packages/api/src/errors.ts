import { TRPCError } from '@trpc/server';

/** One message for every failed sign-in, so an answer never tells which part was wrong. */
export const INVALID_CREDENTIALS = 'Invalid email or password';

export const invalidCredentials = () => new TRPCError({ code: 'UNAUTHORIZED', message: INVALID_CREDENTIALS });

export const notSignedIn = () => new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to continue' });

export const invalidRefreshToken = () =>
  new TRPCError({ code: 'UNAUTHORIZED', message: 'Invalid or expired refresh token' });

export const tooManyAttempts = (retryAfterSeconds: number) =>
  new TRPCError({
    code: 'TOO_MANY_REQUESTS',
    message: `Too many sign-in attempts. Try again in ${Math.max(1, Math.ceil(retryAfterSeconds / 60))} minute(s), or reset your password.`,
  });

export const emailTaken = () =>
  new TRPCError({ code: 'CONFLICT', message: 'An account with this email already exists' });

export const forbidden = (message = 'You are not allowed to do this') =>
  new TRPCError({ code: 'FORBIDDEN', message });

export const notFound = (message = 'Not found') => new TRPCError({ code: 'NOT_FOUND', message });

export const databaseUnavailable = () =>
  new TRPCError({
    code: 'SERVICE_UNAVAILABLE',
    message: 'The service is temporarily unavailable, try again shortly',
  });

/** A rule broken by one input field, found after parsing (the password policy, say). */
export class FieldRuleError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'FieldRuleError';
  }
}

/**
 * A BAD_REQUEST for one field, reported in the same `fieldErrors` shape as a zod validation
 * failure, so clients read every field problem the same way.
 */
export function fieldError(field: string, message: string): TRPCError {
  return new TRPCError({ code: 'BAD_REQUEST', message, cause: new FieldRuleError(field, message) });
}

/** Why an emailed link cannot be used, in words for the person who clicked it. */
export function unusableLink(reason: 'unknown' | 'used' | 'expired'): TRPCError {
  const messages = {
    unknown: 'This link is not valid (a newer one may have been sent). Request a new one.',
    used: 'This link has already been used. Request a new one.',
    expired: 'This link has expired. Request a new one.',
  } as const;
  return fieldError('token', messages[reason]);
}
