/** An account's authenticator app (TOTP, RFC 6238), its secret already unsealed by the store. */
export interface TotpRecord {
  userId: string;
  /** Base32, as the authenticator app was given it. */
  secret: string;
  /** Null while set-up waits for a first code. */
  confirmedAt: Date | null;
  /** The 30-second step of the last code accepted; a code of that step or older is refused. */
  lastUsedStep: number | null;
}

/** The second step of a sign-in, found by its token's hash. */
export interface MfaChallengeRecord {
  id: string;
  userId: string;
  failedAttempts: number;
  expiresAt: Date;
  usedAt: Date | null;
}

export interface NewMfaChallenge {
  userId: string;
  tokenHash: string;
  expiresAt: Date;
}

/**
 * TOTP, recovery codes, the sign-in challenges they answer, and the account's `mfa_enabled`
 * flag. Every change to an account's factors runs under its user row lock (findByIdForUpdate)
 * and ends with {@link SecondFactorStore.refreshMfaEnabled}.
 */
export interface SecondFactorStore {
  findTotp(userId: string): Promise<TotpRecord | undefined>;
  /** Stores a new, unconfirmed secret, replacing an unconfirmed one; false when a confirmed one exists. */
  savePendingTotp(userId: string, secret: string): Promise<boolean>;
  /** Confirms the pending secret with the step of the code that proved it (which is then spent). */
  confirmTotp(userId: string, step: number, at: Date): Promise<boolean>;
  /**
   * Spends a code's step: compare-and-set, true only when `step` is later than the last one
   * accepted. Of two requests with the same code, one gets true.
   */
  spendTotpStep(userId: string, step: number): Promise<boolean>;
  deleteTotp(userId: string): Promise<boolean>;

  /** Replaces every recovery code of the account by these (SHA-256 hashes). */
  replaceRecoveryCodes(userId: string, codeHashes: string[]): Promise<void>;
  /** Marks an unused code used; false when there is none with that hash (single use). */
  spendRecoveryCode(userId: string, codeHash: string, at: Date): Promise<boolean>;
  countRecoveryCodes(userId: string): Promise<number>;
  deleteRecoveryCodes(userId: string): Promise<void>;

  /**
   * Recomputes `users.mfa_enabled` (a confirmed TOTP or a passkey exists), moving `updatedAt`
   * when it changes; returns the new value.
   */
  refreshMfaEnabled(userId: string): Promise<boolean>;

  /** Stores a new challenge; the account's spent and expired ones are deleted on the way. */
  createChallenge(challenge: NewMfaChallenge, now: Date): Promise<void>;
  findChallenge(tokenHash: string): Promise<MfaChallengeRecord | undefined>;
  /** The challenge of a token, its row locked until the transaction ends (call inside `transact`). */
  findChallengeForUpdate(tokenHash: string): Promise<MfaChallengeRecord | undefined>;
  /** Counts one wrong code; returns the new count. */
  recordChallengeFailure(id: string): Promise<number>;
  spendChallenge(id: string, at: Date): Promise<void>;
  /** Ends every open sign-in challenge of an account (its factors were reset). */
  deleteChallenges(userId: string): Promise<void>;
}
