import type { Locale } from '../i18n/locales.js';
import type { Role } from '../schemas/users.js';
import type { ApiKeyStore } from './api-keys.js';
import type { AuditStore } from './audit.js';
import type { OneTimeTokenStore } from './one-time-tokens.js';
import type { OutboxStore } from './outbox.js';
import type { PasskeyStore } from './passkeys.js';
import type { SecondFactorStore } from './second-factors.js';
import type { SessionStore } from './sessions.js';
import type { UserStore } from './users.js';
import type { EventStore, WebhookStore, WebhookTargets } from './webhooks.js';

export * from './api-keys.js';
export * from './audit.js';
export * from './one-time-tokens.js';
export * from './outbox.js';
export * from './passkeys.js';
export * from './second-factors.js';
export * from './sessions.js';
export * from './users.js';
export * from './webhooks.js';

/** Everything that reads or writes the database, bound to one connection or transaction. */
export interface Stores {
  users: UserStore;
  sessions: SessionStore;
  audit: AuditStore;
  oneTimeTokens: OneTimeTokenStore;
  outbox: OutboxStore;
  secondFactors: SecondFactorStore;
  passkeys: PasskeyStore;
  apiKeys: ApiKeyStore;
  webhooks: WebhookStore;
  /** Webhook deliveries of a change, queued in its transaction (services/events.ts). */
  events: EventStore;
}

/**
 * Runs `work` in one database transaction: all of its writes land, or none. After a deadlock
 * or serialization failure `work` runs once more, so it must not act outside the database.
 */
export type Transact = <T>(work: (stores: Stores) => Promise<T>) => Promise<T>;

/**
 * argon2id hashing. `hash` and `verify` wait for a free slot, and reject with
 * `OverloadedError` at once when too many are already waiting (ARGON2_MAX_QUEUE).
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** True when `hash` was made with other parameters than the configured ones. */
  needsRehash(hash: string): boolean;
}

/** Too much work is already waiting: the request is refused unprocessed (503 `overloaded`). */
export class OverloadedError extends Error {
  constructor(
    /** When the waiting work should be done. */
    readonly retryAfterSeconds: number,
  ) {
    super('Too many password checks waiting');
    this.name = 'OverloadedError';
  }
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

/**
 * Counters for throttling, shared by every node when Redis is configured. `hit` is atomic:
 * parallel attempts each see their own count.
 */
export interface Throttle {
  /** Adds one to `key` (the window starts at the first hit); returns the count and seconds left. */
  hit(key: string, windowSeconds: number): Promise<{ count: number; resetInSeconds: number }>;
  /** Takes back one hit of a still-open window (an attempt that checked no password); never below zero. */
  giveBack(key: string): Promise<void>;
  reset(key: string): Promise<void>;
}

/**
 * The refresh token that follows a presented one in a session: always the same for the same
 * token, unguessable without the server's key (an HMAC), so it need never be stored.
 */
export interface RefreshTokenDeriver {
  successor(sessionId: string, presentedHash: string): string;
}

export interface Clock {
  now(): Date;
}

export interface AuthSettings {
  /** Origin of every emailed link (never taken from a request). */
  publicUrl: string;
  passwordMinLength: number;
  /** False for invite-only mode (REGISTRATION_OPEN=false): accounts come from invites, import or the CLI. */
  registrationOpen: boolean;
  /** DEFAULT_LOCALE: the language of a user who chose none, and of answers to a request that asks for none we speak. */
  defaultLocale: Locale;
  resetTokenTtlSeconds: number;
  /** The languages served (DEFAULT_LOCALE among them). */
  locales: { supported: readonly string[]; default: string };
  /** Whether passkeys are offered for sign-in. */
  passkeys: boolean;
  verificationTokenTtlSeconds: number;
  inviteTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Sign-in attempts allowed per account (known or not) per window, before 429. */
  loginMaxAttempts: number;
  loginWindowSeconds: number;
  /** How long a just-rotated refresh token is still accepted (two tabs refreshing at once). */
  refreshReuseGraceSeconds: number;
  /**
   * Roles whose members must set up a second factor (MFA_REQUIRED_ROLES): until they do, only
   * the procedures that let them do it answer (policy.ts, mfaEnrollmentRequired).
   */
  mfaRequiredRoles: readonly Role[];
  /**
   * Per-address limits (RATE_LIMIT_MAIL, RATE_LIMIT_PASSWORD_CHECKS) for the calls that only
   * the service can tell apart: an email change mails and checks a password, a name change
   * does neither (services/address-limits.ts). A limit left out is not applied.
   */
  addressLimits?: Partial<Record<AddressLimitName, AddressLimit>>;
  /** Requests one API key may make per window (API_KEY_RATE_LIMIT); unset, keys are not limited. */
  apiKeyLimit?: AddressLimit;
}

/** The per-address limits a service counts itself. */
export type AddressLimitName = 'mail' | 'passwordChecks';

/** At most `max` per client address in each window of `windowSeconds`. */
export interface AddressLimit {
  max: number;
  windowSeconds: number;
}

/** The ports a request works with; the server builds them once and passes them in the context. */
export interface Deps {
  stores: Stores;
  transact: Transact;
  hasher: PasswordHasher;
  accessTokens: AccessTokens;
  clock: Clock;
  throttle: Throttle;
  refreshTokens: RefreshTokenDeriver;
  settings: AuthSettings;
  /** Whether a webhook URL may be called (SSRF defence), checked when it is set. */
  webhookTargets: WebhookTargets;
  /** True for errors that mean the database cannot be reached (they become 503). */
  isUnavailable(error: unknown): boolean;
}
