import type { Keyset } from './users.js';

/** `user`: the actor id is a user's; `api_key`: it is an API key's. */
export type ActorKind = 'user' | 'api_key';

export interface AuditEvent {
  actorId: string | null;
  /** `user` unless said. */
  actorKind?: ActorKind;
  action: string;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  /** Never a password or a token. */
  metadata?: Record<string, unknown>;
}

/** A stored audit event. */
export interface AuditRecord {
  id: string;
  actorId: string | null;
  actorKind: ActorKind;
  action: string;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  at: Date;
  metadata: Record<string, unknown>;
}

export interface AuditListQuery {
  actorId?: string | undefined;
  targetId?: string | undefined;
  action?: string | undefined;
  /** Events strictly older than this position (the log reads newest first). */
  before?: Keyset | undefined;
  limit: number;
}

export interface AuditListRow {
  event: AuditRecord;
  /** `at` exactly as stored (microseconds), for the next page's keyset. */
  atValue: string;
  /** Names of the actor's and target's accounts, read in the same query; null once deleted. */
  actorName: string | null;
  targetName: string | null;
}

export interface AuditStore {
  record(event: AuditEvent): Promise<void>;
  /** One page of events, newest first, in (at, id) keyset order. */
  list(query: AuditListQuery): Promise<AuditListRow[]>;
}
