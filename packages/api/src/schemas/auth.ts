import { z } from 'zod';
import { field } from '../i18n/field-messages.js';
import { email, locale, name, password, uuid } from './common.js';
import { mfaChallenge } from './mfa.js';
import { user } from './users.js';

export const registerInput = z.object({
  name,
  email,
  password,
  /** The user's language; when absent, the request's Accept-Language (else DEFAULT_LOCALE). */
  locale: locale.optional(),
});
export type RegisterInput = z.infer<typeof registerInput>;

/**
 * Sign-in takes any bounded strings: a malformed email or an empty password is just another
 * failed sign-in (UNAUTHORIZED, the same message), not a validation error that tells apart.
 * The email is read with the shared `email` rule by the service (auth.login), which answers
 * one that fails it at once, before anything is counted or looked up.
 */
export const loginInput = z.object({
  email: z.string().max(1024),
  password: z.string().max(1024),
});
export type LoginInput = z.infer<typeof loginInput>;

/** A refresh token is 32 random bytes in base64url (43 characters); allow some slack. */
export const refreshToken = z.string().min(1, field('refresh_token_required')).max(128);

export const refreshInput = z.object({ refreshToken });
export type RefreshInput = z.infer<typeof refreshInput>;

export const logoutInput = refreshInput;

export const authResult = z.object({
  user,
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int(),
  refreshToken: z.string(),
});
export type AuthResult = z.infer<typeof authResult>;

/** True for an `AuthResult` (what every way of signing in returns): it carries a refresh token. */
export function isAuthResult(value: unknown): value is AuthResult {
  if (typeof value !== 'object' || value === null) return false;
  const { accessToken, refreshToken } = value as Record<string, unknown>;
  return typeof accessToken === 'string' && typeof refreshToken === 'string';
}
/** `auth.login`: tokens, or for an account with a second factor the challenge to answer (`auth.verifyMfa`). */
export const loginResult = z.union([authResult, mfaChallenge]);
export type LoginResult = z.infer<typeof loginResult>;

/** An emailed single-use token, as found in the link's fragment. */
export const oneTimeToken = z.string().min(1, field('token_required')).max(128, field('token_invalid'));

export const requestPasswordResetInput = z.object({ email });
export type RequestPasswordResetInput = z.infer<typeof requestPasswordResetInput>;

export const resetPasswordInput = z.object({ token: oneTimeToken, password });
export type ResetPasswordInput = z.infer<typeof resetPasswordInput>;

export const changePasswordInput = z.object({ currentPassword: password, newPassword: password });
export type ChangePasswordInput = z.infer<typeof changePasswordInput>;

export const verifyEmailInput = z.object({ token: oneTimeToken });
export type VerifyEmailInput = z.infer<typeof verifyEmailInput>;

/** One signed-in device. */
export const sessionView = z.object({
  id: z.uuid(),
  userAgent: z.string().nullable(),
  ip: z.string().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string(),
  expiresAt: z.string(),
  /** True for the session making this request. */
  current: z.boolean(),
});
export type SessionView = z.infer<typeof sessionView>;

export const revokeSessionInput = z.object({ id: uuid });
export type RevokeSessionInput = z.infer<typeof revokeSessionInput>;
