import { z } from 'zod';
import { email, name, password } from './common.js';
import { user } from './users.js';

export const registerInput = z.object({ name, email, password });
export type RegisterInput = z.infer<typeof registerInput>;

export const loginInput = z.object({
  email,
  // Sign-in accepts any stored password; the policy applies when one is set.
  password,
});
export type LoginInput = z.infer<typeof loginInput>;

/** A refresh token is 32 random bytes in base64url (43 characters); allow some slack. */
export const refreshToken = z.string().min(1, 'Refresh token is required').max(128);

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
