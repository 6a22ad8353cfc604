import type { ColumnType, Generated } from 'kysely';
import type { Locale } from '@tessera/api';

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
}

/** The one signing key every node must hold (its public half), recorded by the first to start. */
export interface SigningKeyTable {
  id: Generated<number>;
  kid: string;
  public_key: string;
  recorded_at: UpdatedAt;
}
