import type { AuditEvent } from './audit.js';
import type { UserRecord } from './users.js';

export interface SessionRecord {
  id: string;
  userId: string;
  /** The current refresh token's hash. */
  refreshTokenHash: string;
  rotatedAt: Date | null;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  /** Times the refresh token was rotated; the session's family holds one token more. */
  rotations: number;
}

export interface NewSession {
  userId: string;
  refreshTokenHash: string;
  userAgent: string | null;
  ip: string | null;
  expiresAt: Date;
}

/** A live session with its user. */
export interface LiveSession {
  session: SessionRecord;
  user: UserRecord;
}

export interface SessionStore {
  create(session: NewSession): Promise<SessionRecord>;
  /**
   * The session any refresh token ever issued for it hashes to (the current one or an older
   * one of its family), so a replay of any old token is recognised.
   */
  findByTokenHash(hash: string): Promise<SessionRecord | undefined>;
  /**
   * Replaces the current hash `fromHash` by `toHash` and adds `toHash` to the session's family,
   * atomically, and answers with the rotated session and its user (what the refresh answers
   * with). Compare-and-set: undefined when another request rotated first, or the session
   * was revoked meanwhile.
   */
  rotate(id: string, fromHash: string, toHash: string, at: Date): Promise<LiveSession | undefined>;
  revoke(id: string, at: Date): Promise<void>;
  /** Revokes `id` if it is a live session of `userId`; false when it is not (someone else's). */
  revokeOwn(id: string, userId: string, at: Date): Promise<boolean>;
  /** A user's live sessions, most recently used first. */
  listLive(userId: string, at: Date): Promise<SessionRecord[]>;
  /** Ends every live session of a user; returns how many were live. */
  revokeAllForUser(userId: string, at: Date): Promise<number>;
  /** The live (not revoked, not expired) session with its user, for a signed-in request. */
  findLive(id: string, at: Date): Promise<LiveSession | undefined>;
  /**
   * A successful sign-in, atomically: records it on the user (last sign-in at `at`, failed
   * count and lock cleared), writes `event` to the audit log and starts `session`. Undefined,
   * and nothing written, when the user no longer exists.
   */
  signIn(session: NewSession, at: Date, event: AuditEvent): Promise<LiveSession | undefined>;
}
