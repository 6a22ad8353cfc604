import type { Role } from '../schemas/users.js';

/** An API key row as the domain sees it (never the secret; its hash stays in the store). */
export interface ApiKeyRecord {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface NewApiKey {
  name: string;
  role: Role;
  prefix: string;
  tokenHash: string;
  expiresAt: Date | null;
  createdBy: string | null;
}

export interface ApiKeyStore {
  insert(key: NewApiKey): Promise<ApiKeyRecord>;
  /** Every key, newest first. */
  list(): Promise<ApiKeyRecord[]>;
  /**
   * The key a secret hashes to, if it is neither revoked nor expired at `at`; notes the use
   * (last_used_at, at most once a minute, so a busy key is not a write per request).
   */
  useLive(tokenHash: string, at: Date): Promise<ApiKeyRecord | undefined>;
  /** The key by id if it is still live at `at` (re-checked inside a transaction). */
  findLive(id: string, at: Date): Promise<ApiKeyRecord | undefined>;
  /** Revokes a key (a no-op on one already revoked); undefined when there is no such key. */
  revoke(id: string, at: Date): Promise<ApiKeyRecord | undefined>;
}
