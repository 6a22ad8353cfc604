/** A registered WebAuthn credential. */
export interface PasskeyRecord {
  id: string;
  userId: string;
  /** base64url */
  credentialId: string;
  /** The COSE public key. */
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type NewPasskey = Omit<PasskeyRecord, 'id' | 'createdAt' | 'lastUsedAt'>;

/** What a WebAuthn challenge was handed out for. */
export type WebAuthnPurpose = 'registration' | 'authentication';

export interface WebAuthnChallenge {
  /** base64url, as it comes back in clientDataJSON. */
  challenge: string;
  purpose: WebAuthnPurpose;
  /** The signed-in user a registration challenge belongs to. */
  userId: string | null;
  /** The email a sign-in challenge was asked for, if any: only that account's passkeys answer it. */
  email: string | null;
  expiresAt: Date;
}

/** The passkey was registered already (here or on another account). */
export class PasskeyTakenError extends Error {
  constructor() {
    super('This passkey is registered already');
    this.name = 'PasskeyTakenError';
  }
}

export interface PasskeyStore {
  /** Throws {@link PasskeyTakenError} when the credential id exists. */
  insert(passkey: NewPasskey): Promise<PasskeyRecord>;
  listForUser(userId: string): Promise<PasskeyRecord[]>;
  findByCredentialId(credentialId: string): Promise<PasskeyRecord | undefined>;
  rename(userId: string, id: string, name: string): Promise<PasskeyRecord | undefined>;
  /** Deletes one of the user's passkeys; undefined when it is not theirs. */
  delete(userId: string, id: string): Promise<PasskeyRecord | undefined>;
  deleteAllForUser(userId: string): Promise<number>;
  /**
   * Records a verified use: the new counter, backup state and time. Compare-and-set on the
   * counter the verification read, so two uses racing cannot both move it.
   */
  recordUse(
    id: string,
    use: { fromCounter: number; counter: number; backedUp: boolean; at: Date },
  ): Promise<boolean>;

  /** Stores a challenge handed out; expired ones are deleted on the way. */
  createChallenge(challenge: WebAuthnChallenge, now: Date): Promise<void>;
  /** Deletes and returns an unexpired challenge of this purpose: each is answered at most once. */
  consumeChallenge(
    challenge: string,
    purpose: WebAuthnPurpose,
    at: Date,
  ): Promise<WebAuthnChallenge | undefined>;
}
