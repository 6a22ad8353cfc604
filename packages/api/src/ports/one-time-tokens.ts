/** What a single-use emailed token is for. */
export type OneTimePurpose = 'password_reset' | 'email_verification' | 'invite' | 'email_change';

/** Every purpose: what an email change or a disable revokes. */
export const oneTimePurposes: readonly OneTimePurpose[] = [
  'password_reset',
  'email_verification',
  'invite',
  'email_change',
];

export interface NewOneTimeToken {
  userId: string;
  purpose: OneTimePurpose;
  /** The address the link is mailed to; the link is good only while the account still has it. */
  email: string;
  tokenHash: string;
  expiresAt: Date;
}

/** A usable token: whose it is, what for, and the address it was sent to. */
export interface OneTimeTokenOwner {
  userId: string;
  purpose: OneTimePurpose;
  email: string;
}

/** Why a presented token cannot be used. */
export type TokenRefusal = 'unknown' | 'used' | 'expired';

export interface OneTimeTokenStore {
  /** Stores a new token, deleting the user's older unused tokens of the same purpose (superseded). */
  replace(token: NewOneTimeToken): Promise<void>;
  /**
   * Marks the token used if it is unused, unexpired and of one of `purposes`, in one UPDATE:
   * of two racing redemptions exactly one gets the owner back.
   */
  consume(
    tokenHash: string,
    purposes: readonly OneTimePurpose[],
    at: Date,
  ): Promise<OneTimeTokenOwner | TokenRefusal>;
  /** The owner of a usable token, without using it (to lock the account or check a password first). */
  peek(
    tokenHash: string,
    purposes: readonly OneTimePurpose[],
    at: Date,
  ): Promise<OneTimeTokenOwner | TokenRefusal>;
  /** Deletes every unused token of these purposes for a user (password change, email change, disable). */
  revokeForUser(userId: string, purposes: readonly OneTimePurpose[]): Promise<void>;
}
