import type { LiveSession, SessionRecord, SessionStore } from '@tessera/api';
import { sql, type CompiledQuery, type Kysely, type Selectable } from 'kysely';
import type { Database, SessionsTable } from '../database.js';
import { compileOnce } from './compile-once.js';
import { toUserRecord, userColumns } from './users.js';

const sessionColumns = [
  'sessions.id',
  'sessions.user_id',
  'sessions.refresh_token_hash',
  'sessions.rotated_at',
  'sessions.user_agent',
  'sessions.ip',
  'sessions.created_at',
  'sessions.last_used_at',
  'sessions.expires_at',
  'sessions.revoked_at',
  'sessions.rotations',
] as const;

function toSessionRecord(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    refreshTokenHash: row.refresh_token_hash,
    rotatedAt: row.rotated_at,
    userAgent: row.user_agent,
    ip: row.ip,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    rotations: row.rotations,
  };
}

const userAliases = [
  'users.email as u_email',
  'users.name as u_name',
  'users.password_hash as u_password_hash',
  'users.role as u_role',
  'users.email_verified_at as u_email_verified_at',
  'users.pending_email as u_pending_email',
  'users.locale as u_locale',
  'users.disabled_at as u_disabled_at',
  'users.failed_login_count as u_failed_login_count',
  'users.locked_until as u_locked_until',
  'users.last_login_at as u_last_login_at',
  'users.mfa_enabled as u_mfa_enabled',
  'users.created_at as u_created_at',
  'users.updated_at as u_updated_at',
] as const;

function toLiveSession(row: LiveSessionRow): LiveSession {
  return {
    session: toSessionRecord(row),
    user: toUserRecord({
      id: row.user_id,
      email: row.u_email,
      name: row.u_name,
      password_hash: row.u_password_hash,
      role: row.u_role,
      locale: row.u_locale,
      email_verified_at: row.u_email_verified_at,
      pending_email: row.u_pending_email,
      disabled_at: row.u_disabled_at,
      failed_login_count: row.u_failed_login_count,
      locked_until: row.u_locked_until,
      last_login_at: row.u_last_login_at,
      mfa_enabled: row.u_mfa_enabled,
      created_at: row.u_created_at,
      updated_at: row.u_updated_at,
    }),
  };
}

/**
 * The signed-in check behind every authenticated request: the live session (not revoked, not
 * expired) and its user, in one query compiled once.
 */
const findLiveQuery = compileOnce((db, { id, at }: { id: string; at: Date }) =>
  db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(sessionColumns)
    .select(userAliases)
    .where('sessions.id', '=', id)
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', at),
);

/** A session row with its user's columns (`u_…`), as findLive and signIn return it. */
type LiveSessionRow = ReturnType<typeof findLiveQuery> extends CompiledQuery<infer O> ? O : never;

interface SignInArgs extends Record<string, unknown> {
  userId: string;
  at: Date;
  actorId: string | null;
  action: string;
  targetId: string | null;
  auditIp: string | null;
  auditUserAgent: string | null;
  /** JSON text. */
  metadata: string;
  refreshTokenHash: string;
  userAgent: string | null;
  ip: string | null;
  expiresAt: Date;
}

/**
 * A successful sign-in as one statement instead of a transaction of five: the user's
 * sign-in bookkeeping, the audit event, the session and the first member of its token
 * family. A statement is atomic on its own, and every insert reads from the updated user, so
 * a user deleted meanwhile leaves no row at all. The values an INSERT … SELECT takes are cast
 * to their columns' types (PostgreSQL cannot infer a parameter's type from there).
 */
const signInQuery = compileOnce((db, args: SignInArgs) =>
  db
    .with('users', (qb) =>
      qb
        .updateTable('users')
        .set({ last_login_at: args.at, failed_login_count: 0, locked_until: null })
        .where('id', '=', args.userId)
        .returning(userColumns),
    )
    .with('audit', (qb) =>
      qb
        .insertInto('audit_events')
        .columns(['actor_id', 'action', 'target_id', 'ip', 'user_agent', 'metadata'])
        .expression((eb) =>
          eb
            .selectFrom('users')
            .select([
              sql<string | null>`${args.actorId}::uuid`.as('actor_id'),
              sql<string>`${args.action}::text`.as('action'),
              sql<string | null>`${args.targetId}::uuid`.as('target_id'),
              sql<string | null>`${args.auditIp}::text`.as('ip'),
              sql<string | null>`${args.auditUserAgent}::text`.as('user_agent'),
              sql<string>`${args.metadata}::jsonb`.as('metadata'),
            ]),
        ),
    )
    .with('sessions', (qb) =>
      qb
        .insertInto('sessions')
        .columns(['user_id', 'refresh_token_hash', 'user_agent', 'ip', 'expires_at'])
        .expression((eb) =>
          eb
            .selectFrom('users')
            .select([
              'users.id',
              sql<string>`${args.refreshTokenHash}::text`.as('refresh_token_hash'),
              sql<string | null>`${args.userAgent}::text`.as('user_agent'),
              sql<string | null>`${args.ip}::text`.as('ip'),
              sql<Date>`${args.expiresAt}::timestamptz`.as('expires_at'),
            ]),
        )
        .returning(sessionColumns),
    )
    .with('family', (qb) =>
      qb
        .insertInto('session_refresh_tokens')
        .columns(['token_hash', 'session_id'])
        .expression((eb) => eb.selectFrom('sessions').select(['sessions.refresh_token_hash', 'sessions.id'])),
    )
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(sessionColumns)
    .select(userAliases),
);

/** The session a refresh token (any member of a family) belongs to: every refresh starts here. */
const findByTokenHashQuery = compileOnce((db, { hash }: { hash: string }) =>
  db
    .selectFrom('session_refresh_tokens')
    .innerJoin('sessions', 'sessions.id', 'session_refresh_tokens.session_id')
    .select(sessionColumns)
    .where('session_refresh_tokens.token_hash', '=', hash),
);

/**
 * A refresh token's rotation as one statement (atomic on its own, so no transaction of four
 * round trips around it): compare-and-set of the session's current hash, the new hash added
 * to the family only when the update happened, and the rotated session with its user read
 * back for the answer (a third round trip before). A concurrent rotation of the same token
 * waits on the row lock, then finds the hash changed and does none of it. The CTE is named
 * `sessions` so the shared column lists apply to it (inside it, `sessions` is the table).
 */
const rotateQuery = compileOnce((db, args: { id: string; fromHash: string; toHash: string; at: Date }) =>
  db
    .with('sessions', (qb) =>
      qb
        .updateTable('sessions')
        .set((eb) => ({
          refresh_token_hash: args.toHash,
          rotated_at: args.at,
          last_used_at: args.at,
          rotations: eb('rotations', '+', 1),
        }))
        .where('id', '=', args.id)
        .where('refresh_token_hash', '=', args.fromHash)
        .where('revoked_at', 'is', null)
        .returning(sessionColumns),
    )
    .with('family', (qb) =>
      qb
        .insertInto('session_refresh_tokens')
        .columns(['token_hash', 'session_id'])
        .expression((eb) => eb.selectFrom('sessions').select(['sessions.refresh_token_hash', 'sessions.id'])),
    )
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(sessionColumns)
    .select(userAliases),
);

/** The `sessions` table behind the domain's SessionStore port. */
export function sessionStore(db: Kysely<Database>): SessionStore {
  return {
    async create(session) {
      const row = await db
        .insertInto('sessions')
        .values({
          user_id: session.userId,
          refresh_token_hash: session.refreshTokenHash,
          user_agent: session.userAgent,
          ip: session.ip,
          expires_at: session.expiresAt,
        })
        .returning(sessionColumns)
        .executeTakeFirstOrThrow();
      await db
        .insertInto('session_refresh_tokens')
        .values({ token_hash: session.refreshTokenHash, session_id: row.id })
        .execute();
      return toSessionRecord(row);
    },

    async findByTokenHash(hash) {
      const { rows } = await db.executeQuery(findByTokenHashQuery(db, { hash }));
      const row = rows[0];
      return row && toSessionRecord(row);
    },

    async rotate(id, fromHash, toHash, at) {
      const { rows } = await db.executeQuery(rotateQuery(db, { id, fromHash, toHash, at }));
      const row = rows[0];
      return row && toLiveSession(row);
    },

    async revoke(id, at) {
      await db
        .updateTable('sessions')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },

    async listLive(userId, at) {
      const rows = await db
        .selectFrom('sessions')
        .select(sessionColumns)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', at)
        .orderBy('last_used_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map(toSessionRecord);
    },

    async revokeAllForUser(userId, at) {
      const result = await db
        .updateTable('sessions')
        .set({ revoked_at: at })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', at)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async revokeOwn(id, userId, at) {
      const result = await db
        .updateTable('sessions')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', at)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async findLive(id, at) {
      const { rows } = await db.executeQuery(findLiveQuery(db, { id, at }));
      const row = rows[0];
      return row && toLiveSession(row);
    },

    async signIn(session, at, event) {
      const { rows } = await db.executeQuery(
        signInQuery(db, {
          userId: session.userId,
          at,
          actorId: event.actorId,
          action: event.action,
          targetId: event.targetId,
          auditIp: event.ip,
          auditUserAgent: event.userAgent,
          metadata: JSON.stringify(event.metadata ?? {}),
          refreshTokenHash: session.refreshTokenHash,
          userAgent: session.userAgent,
          ip: session.ip,
          expiresAt: session.expiresAt,
        }),
      );
      const row = rows[0];
      return row && toLiveSession(row);
    },
  };
}
