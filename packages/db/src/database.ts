import type { ColumnType, Generated } from 'kysely';
import type { Locale } from '@tessera/api';

/** A bigint column as read: pg gives text, PGlite a number or a bigint; Number() reads all three. */
type Int8 = string | number | bigint;

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

/** The tables of DESIGN.md's data model, as Kysely sees them. */
export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  session_refresh_tokens: SessionRefreshTokensTable;
  one_time_tokens: OneTimeTokensTable;
  email_outbox: EmailOutboxTable;
  audit_events: AuditEventsTable;
  signing_key: SigningKeyTable;
  totp_factors: TotpFactorsTable;
  recovery_codes: RecoveryCodesTable;
  passkeys: PasskeysTable;
  mfa_challenges: MfaChallengesTable;
  webauthn_challenges: WebAuthnChallengesTable;
  api_keys: ApiKeysTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
}

export interface UsersTable {
  id: Generated<string>;
  email: string;
  name: string;
  password_hash: string | null;
  role: 'admin' | 'manager' | 'user';
  email_verified_at: Timestamp | null;
  /** An address the owner asked to move to, applied once the link mailed to it is followed. */
  pending_email: string | null;
  /** The user's language (a `Locale`); every mail they receive is written in it. */
  locale: ColumnType<Locale, Locale | undefined, Locale>;
  disabled_at: Timestamp | null;
  failed_login_count: Generated<number>;
  locked_until: Timestamp | null;
  last_login_at: Timestamp | null;
  /** A confirmed TOTP or a passkey exists; recomputed with every change to them (mfa store). */
  mfa_enabled: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface SessionsTable {
  id: Generated<string>;
  user_id: string;
  /** The current refresh token's hash; every hash ever issued is in session_refresh_tokens. */
  refresh_token_hash: string;
  rotated_at: Timestamp | null;
  user_agent: string | null;
  ip: string | null;
  created_at: CreatedAt;
  last_used_at: UpdatedAt;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  /** Rotations so far: the family has one row more. Refresh ends the session at a cap. */
  rotations: Generated<number>;
}

/** The refresh-token family of each session: a replay of any member is recognised. */
export interface SessionRefreshTokensTable {
  token_hash: string;
  session_id: string;
  issued_at: CreatedAt;
}

export interface OneTimeTokensTable {
  id: Generated<string>;
  purpose: 'password_reset' | 'email_verification' | 'invite' | 'email_change';
  user_id: string;
  /** The address the link was mailed to: it works only while it is still the account's. */
  email: string;
  token_hash: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface EmailOutboxTable {
  id: Generated<string>;
  recipient: string;
  subject: string;
  /** The text and HTML bodies; encrypted (AES-256-GCM) when they carry a live token. */
  body: string | null;
  body_encrypted: Generated<boolean>;
  /** The mail's language (a `Locale`): its Content-Language header. */
  language: ColumnType<Locale, Locale | undefined, Locale>;
  status: Generated<'pending' | 'sent' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_error: string | null;
  created_at: CreatedAt;
  sent_at: Timestamp | null;
}

export interface AuditEventsTable {
  id: Generated<string>;
  actor_id: string | null;
  action: string;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  at: CreatedAt;
  metadata: ColumnType<Record<string, unknown>, string | undefined, never>;
  /** `user`: actor_id is a user; `api_key`: actor_id is an API key. */
  actor_kind: Generated<'user' | 'api_key'>;
}

/** The one signing key every node must hold (its public half), recorded by the first to start. */
export interface SigningKeyTable {
  id: Generated<number>;
  kid: string;
  public_key: string;
  recorded_at: UpdatedAt;
}

/** One authenticator app per account; the secret sealed with AES-256-GCM (sealed.ts). */
export interface TotpFactorsTable {
  user_id: string;
  secret_sealed: string;
  /** Null while set-up waits for its first code. */
  confirmed_at: Timestamp | null;
  /** The 30-second step of the last code accepted (bigint: each driver reads it its own way, see Int8). */
  last_used_step: ColumnType<Int8 | null, number | null, number | null>;
  created_at: CreatedAt;
}

export interface RecoveryCodesTable {
  id: Generated<string>;
  user_id: string;
  /** SHA-256 of the normalised code. */
  code_hash: string;
  used_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface PasskeysTable {
  id: Generated<string>;
  user_id: string;
  /** base64url, as WebAuthn JSON carries it. */
  credential_id: string;
  /** The COSE public key, base64url. */
  public_key: string;
  /** The authenticator's signature counter (an unsigned 32-bit number: bigint). */
  counter: ColumnType<Int8, number | undefined, number>;
  transports: ColumnType<string[], string, string>;
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: boolean;
  name: string;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
}

export interface MfaChallengesTable {
  id: Generated<string>;
  token_hash: string;
  user_id: string;
  failed_attempts: Generated<number>;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface WebAuthnChallengesTable {
  challenge: string;
  purpose: 'registration' | 'authentication';
  user_id: string | null;
  email: string | null;
  expires_at: Timestamp;
  created_at: CreatedAt;
}

/** Service accounts: only the secret's SHA-256 rests here. */
export interface ApiKeysTable {
  id: Generated<string>;
  name: string;
  role: 'admin' | 'manager' | 'user';
  /** The secret's first 12 characters, to tell keys apart in lists. */
  prefix: string;
  token_hash: string;
  created_by: string | null;
  created_at: CreatedAt;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** Endpoints subscribed to events; `secret` is sealed (AES-256-GCM). */
export interface WebhooksTable {
  id: Generated<string>;
  url: string;
  events: string[];
  description: string | null;
  secret: string;
  enabled: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** One event for one endpoint, queued in the transaction of the change. */
export interface WebhookDeliveriesTable {
  id: Generated<string>;
  webhook_id: string;
  event: string;
  /** The exact body every attempt sends. */
  payload: string;
  status: Generated<'pending' | 'delivered' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_status_code: number | null;
  last_error: string | null;
  created_at: CreatedAt;
  delivered_at: Timestamp | null;
}
