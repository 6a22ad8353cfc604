import type { UserRecord } from './users.js';

export interface SessionRecord {
  id: string;
  userId: string;
  refreshTokenHash: string;
  previousTokenHash: string | null;
  rotatedAt: Date | null;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

export interface NewSession {
  userId: string;
  refreshTokenHash: string;
  userAgent: string | null;
  ip: string | null;
  expiresAt: Date;
}

export interface SessionStore {
  create(session: NewSession): Promise<SessionRecord>;
  /** The session whose current or previous refresh-token hash is `hash`. */
  findByTokenHash(hash: string): Promise<SessionRecord | undefined>;
  /**
   * Replaces the current hash `fromHash` by `toHash`, keeping `fromHash` as the previous one.
   * Compare-and-set: returns false when another request rotated first.
   */
  rotate(id: string, fromHash: string, toHash: string, at: Date): Promise<boolean>;
  revoke(id: string, at: Date): Promise<void>;
  /** Revokes `id` if it is a live session of `userId`; false when it is not (someone else's). */
  revokeOwn(id: string, userId: string, at: Date): Promise<boolean>;
  /** A user's live sessions, most recently used first. */
  listLive(userId: string, at: Date): Promise<SessionRecord[]>;
  revokeAllForUser(userId: string, at: Date): Promise<void>;
  /** The live (not revoked, not expired) session with its user, for a signed-in request. */
  findLive(id: string, at: Date): Promise<{ session: SessionRecord; user: UserRecord } | undefined>;
}
