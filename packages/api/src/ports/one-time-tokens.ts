/** What a single-use emailed token is for. */
export type OneTimePurpose = 'password_reset' | 'email_verification' | 'invite';

export interface NewOneTimeToken {
  userId: string;
  purpose: OneTimePurpose;
  tokenHash: string;
  expiresAt: Date;
}

/** Why a presented token cannot be used. */
export type TokenRefusal = 'unknown' | 'used' | 'expired';

export interface OneTimeTokenStore {
  /** Stores a new token, deleting the user's older unused tokens of the same purpose (superseded). */
  replace(token: NewOneTimeToken): Promise<void>;
  /**
   * Marks the token used if it is unused, unexpired and of one of `purposes`, in one UPDATE:
   * of two racing redemptions exactly one gets the user id back.
   */
  consume(
    tokenHash: string,
    purposes: readonly OneTimePurpose[],
    at: Date,
  ): Promise<{ userId: string; purpose: OneTimePurpose } | TokenRefusal>;
  /** The user a usable token belongs to, without using it (to check a new password first). */
  peek(tokenHash: string, purposes: readonly OneTimePurpose[], at: Date): Promise<string | TokenRefusal>;
  /** Deletes every unused token of these purposes for a user (after a password change). */
  revokeForUser(userId: string, purposes: readonly OneTimePurpose[]): Promise<void>;
}
