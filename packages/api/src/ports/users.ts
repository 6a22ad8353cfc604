import type { Locale } from '../i18n/locales.js';
import type { Role } from '../schemas/users.js';

/** A user row as the domain sees it (the store maps columns to this shape). */
export interface UserRecord {
  id: string;
  email: string;
  name: string;
  passwordHash: string | null;
  role: Role;
  emailVerifiedAt: Date | null;
  /** An address the owner asked to move to; `email` stays in use until its link is followed. */
  pendingEmail: string | null;
  disabledAt: Date | null;
  failedLoginCount: number;
  lockedUntil: Date | null;
  lastLoginAt: Date | null;
  /** A confirmed TOTP or a passkey exists. */
  mfaEnabled: boolean;
  /** The language of every mail the user receives. */
  locale: Locale;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewUser {
  email: string;
  name: string;
  passwordHash: string | null;
  role: Role;
  locale: Locale;
  /** Set when the address is known to be right already (the operator's first admin, an import). */
  emailVerifiedAt?: Date | null;
  /** Set for an account imported disabled. */
  disabledAt?: Date | null;
}

/** Columns an administrative or self-service update may change; absent keys stay as they are. */
export interface UserChanges {
  name?: string;
  email?: string;
  role?: Role;
  emailVerifiedAt?: Date | null;
  pendingEmail?: string | null;
  disabledAt?: Date | null;
  locale?: Locale;
}

export type UserSort = 'createdAt' | 'name' | 'email';
export type SortOrder = 'asc' | 'desc';

/** A keyset position: the exact sort value (as text) and id of the last row already seen. */
export interface Keyset {
  value: string;
  id: string;
}

export interface UserListQuery {
  /** Case-insensitive substring of the email or the name; LIKE wildcards in it are literals. */
  search?: string | undefined;
  role?: Role | undefined;
  disabled?: boolean | undefined;
  sort: UserSort;
  order: SortOrder;
  /** Rows strictly after this position in the requested order. */
  after?: Keyset | undefined;
  limit: number;
}

export interface UserListRow {
  user: UserRecord;
  /** The row's sort value as the database holds it (timestamps to the microsecond). */
  sortValue: string;
}

export interface UserStore {
  findById(id: string): Promise<UserRecord | undefined>;
  findByEmail(email: string): Promise<UserRecord | undefined>;
  /** Inserts a user; throws {@link EmailTakenError} when the email already exists. */
  insert(user: NewUser): Promise<UserRecord>;
  /** Stores a new hash (after a rehash or a password change). */
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
  /** Marks the email verified (unless it changed since the link was sent). */
  markEmailVerified(id: string, email: string, at: Date): Promise<boolean>;
  /** Clears failed-sign-in counting and any lock (after a successful password reset). */
  clearLoginFailures(id: string): Promise<void>;
  recordLoginSuccess(id: string, at: Date): Promise<UserRecord>;
  /** Atomically adds one failed attempt; returns the new count. */
  recordLoginFailure(id: string): Promise<number>;

  /** Reads a user and locks its row until the transaction ends (call inside `transact`). */
  findByIdForUpdate(id: string): Promise<UserRecord | undefined>;
  /**
   * Serialises every change to the set of admins (call inside `transact`): takes a
   * transaction-scoped lock, locks the enabled admins' rows and returns their ids. Two
   * transactions that each could remove an admin therefore see each other's result.
   */
  lockActiveAdmins(): Promise<string[]>;
  /**
   * Applies `changes` and moves `updatedAt` strictly forward (by at least a millisecond, so
   * `expectedUpdatedAt` checks at millisecond precision always see a change). Throws
   * {@link EmailTakenError} when the new email belongs to another account.
   */
  update(id: string, changes: UserChanges): Promise<UserRecord | undefined>;
  /** Deletes the user (sessions and tokens go with it); false when there was no such user. */
  delete(id: string): Promise<boolean>;
  /** One page of users in keyset order. */
  list(query: UserListQuery): Promise<UserListRow[]>;

  /**
   * Inserts the users whose email is free, in one statement, and returns those rows; an
   * email already taken (or taken meanwhile by a concurrent transaction, which this waits
   * for) is left out rather than thrown.
   */
  insertMany(users: NewUser[]): Promise<UserRecord[]>;
  /** The accounts holding any of `emails`, locked until the transaction ends (call inside `transact`). */
  findByEmailsForUpdate(emails: string[]): Promise<UserRecord[]>;
  /** Up to `limit` users in email order, after `afterEmail`: export walks every account this way. */
  pageByEmail(afterEmail: string | undefined, limit: number): Promise<UserRecord[]>;
  /**
   * Whether any account still has a password hash other than Tessera's argon2id (an import
   * not yet signed in with): failed sign-ins then wait for the slowest such check.
   */
  hasForeignPasswordHashes(): Promise<boolean>;
}

/** Thrown by a user store when an insert or update hits an email already taken. */
export class EmailTakenError extends Error {
  constructor() {
    super('Email already registered');
    this.name = 'EmailTakenError';
  }
}

/** Thrown by a user store when a listing ran past its time limit (the database cancelled it). */
export class ListTimeoutError extends Error {
  constructor() {
    super('The user listing took too long');
    this.name = 'ListTimeoutError';
  }
}
