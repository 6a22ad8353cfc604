import type { Role } from './schemas/users.js';

/** A user row as the domain sees it (the store maps columns to this shape). */
export interface UserRecord {
  id: string;
  email: string;
  name: string;
  passwordHash: string | null;
  role: Role;
  emailVerifiedAt: Date | null;
  disabledAt: Date | null;
  failedLoginCount: number;
  lockedUntil: Date | null;
  lastLoginAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewUser {
  email: string;
  name: string;
  passwordHash: string | null;
  role: Role;
}

export interface UserStore {
  findById(id: string): Promise<UserRecord | undefined>;
  findByEmail(email: string): Promise<UserRecord | undefined>;
  /** Inserts a user; throws {@link EmailTakenError} when the email already exists. */
  insert(user: NewUser): Promise<UserRecord>;
  /** Stores a new hash (after a rehash or a password change). */
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
  recordLoginSuccess(id: string, at: Date): Promise<UserRecord>;
  /** Atomically adds one failed attempt; returns the new count. */
  recordLoginFailure(id: string): Promise<number>;
}

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
  /** Replaces the current hash while `previousHash` stays the previous one (the grace path). */
  reissue(id: string, previousHash: string, toHash: string, at: Date): Promise<boolean>;
  revoke(id: string, at: Date): Promise<void>;
  revokeAllForUser(userId: string, at: Date, exceptSessionId?: string): Promise<void>;
  /** The live (not revoked, not expired) session with its user, for a signed-in request. */
  findLive(id: string, at: Date): Promise<{ session: SessionRecord; user: UserRecord } | undefined>;
}

export interface AuditEvent {
  actorId: string | null;
  action: string;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  /** Never a password or a token. */
  metadata?: Record<string, unknown>;
}

export interface AuditStore {
  record(event: AuditEvent): Promise<void>;
}

/** Everything that reads or writes the database, bound to one connection or transaction. */
export interface Stores {
  users: UserStore;
  sessions: SessionStore;
  audit: AuditStore;
}

/** Runs `work` in one database transaction: all of its writes land, or none. */
export type Transact = <T>(work: (stores: Stores) => Promise<T>) => Promise<T>;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** True when `hash` was made with other parameters than the configured ones. */
  needsRehash(hash: string): boolean;
}

export interface AccessTokenClaims {
  sub: string;
  sid: string;
  role: Role;
}

export interface AccessTokens {
  /** Seconds an access token lives. */
  readonly ttlSeconds: number;
  sign(claims: AccessTokenClaims): Promise<string>;
  /** Verified claims, or undefined for any token we did not issue or that has expired. */
  verify(token: string): Promise<AccessTokenClaims | undefined>;
}

export interface Clock {
  now(): Date;
}

export interface AuthSettings {
  passwordMinLength: number;
  refreshTokenTtlSeconds: number;
  /** How long a just-rotated refresh token is still accepted (two tabs refreshing at once). */
  refreshReuseGraceSeconds: number;
}

/** The ports a request works with; the server builds them once and passes them in the context. */
export interface Deps {
  stores: Stores;
  transact: Transact;
  hasher: PasswordHasher;
  accessTokens: AccessTokens;
  clock: Clock;
  settings: AuthSettings;
  /** True for errors that mean the database cannot be reached (they become 503). */
  isUnavailable(error: unknown): boolean;
}

/** Thrown by a user store when an insert or update hits an email already taken. */
export class EmailTakenError extends Error {
  constructor() {
    super('Email already registered');
    this.name = 'EmailTakenError';
  }
}
