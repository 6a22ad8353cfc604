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
