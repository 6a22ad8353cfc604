import type { Role } from '../schemas/users.js';

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
  /** Marks the email verified (unless it changed since the link was sent). */
  markEmailVerified(id: string, email: string, at: Date): Promise<boolean>;
  /** Clears failed-sign-in counting and any lock (after a successful password reset). */
  clearLoginFailures(id: string): Promise<void>;
  recordLoginSuccess(id: string, at: Date): Promise<UserRecord>;
  /** Atomically adds one failed attempt; returns the new count. */
  recordLoginFailure(id: string): Promise<number>;
}

/** Thrown by a user store when an insert or update hits an email already taken. */
export class EmailTakenError extends Error {
  constructor() {
    super('Email already registered');
    this.name = 'EmailTakenError';
  }
}
