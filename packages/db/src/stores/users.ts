import {
  EmailTakenError,
  ListTimeoutError,
  type UserListQuery,
  type UserListRow,
  type UserRecord,
  type UserStore,
} from '@tessera/api';
import {
  sql,
  type Expression,
  type Kysely,
  type Selectable,
  type SelectQueryBuilder,
  type SqlBool,
} from 'kysely';
import type { Database, UsersTable } from '../database.js';
import { compileOnce } from './compile-once.js';
import { isUniqueViolation } from './errors.js';

export const userColumns = [
  'users.id',
  'users.email',
  'users.name',
  'users.password_hash',
  'users.role',
  'users.email_verified_at',
  'users.pending_email',
  'users.locale',
  'users.disabled_at',
  'users.failed_login_count',
  'users.locked_until',
  'users.last_login_at',
  'users.mfa_enabled',
  'users.created_at',
  'users.updated_at',
] as const;

/** Every sign-in, sign-up and reset request looks an email up: built and compiled once (compileOnce). */
const findByEmailQuery = compileOnce((db, { email }: { email: string }) =>
  db.selectFrom('users').select(userColumns).where('email', '=', email),
);

export function toUserRecord(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    role: row.role,
    emailVerifiedAt: row.email_verified_at,
    pendingEmail: row.pending_email,
    locale: row.locale,
    disabledAt: row.disabled_at,
    failedLoginCount: row.failed_login_count,
    lockedUntil: row.locked_until,
    lastLoginAt: row.last_login_at,
    mfaEnabled: row.mfa_enabled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface UserStoreOptions {
  /**
   * statement_timeout of a listing, in ms: the backstop should one still read too much (a
   * filter no index serves well on some data). PostgreSQL only: PGlite has no timer for it.
   */
  listTimeoutMs?: number | undefined;
}

/** The `users` table behind the domain's UserStore port. */
export function userStore(db: Kysely<Database>, options: UserStoreOptions = {}): UserStore {
  return {
    async findById(id) {
      const row = await db.selectFrom('users').select(userColumns).where('id', '=', id).executeTakeFirst();
      return row && toUserRecord(row);
    },

    async findByEmail(email) {
      const { rows } = await db.executeQuery(findByEmailQuery(db, { email }));
      const row = rows[0];
      return row && toUserRecord(row);
    },

    async insert(user) {
      try {
        const row = await db
          .insertInto('users')
          .values({
            email: user.email,
            name: user.name,
            password_hash: user.passwordHash,
            role: user.role,
            locale: user.locale,
            email_verified_at: user.emailVerifiedAt ?? null,
            disabled_at: user.disabledAt ?? null,
          })
          .returning(userColumns)
          .executeTakeFirstOrThrow();
        return toUserRecord(row);
      } catch (error) {
        if (isUniqueViolation(error, 'users_email_key')) throw new EmailTakenError();
        throw error;
      }
    },

    async setPasswordHash(id, passwordHash) {
      await db
        .updateTable('users')
        .set({ password_hash: passwordHash, updated_at: sql`now()` })
        .where('id', '=', id)
        .execute();
    },

    async markEmailVerified(id, email, at) {
      const result = await db
        .updateTable('users')
        .set({ email_verified_at: at, updated_at: at })
        .where('id', '=', id)
        .where('email', '=', email)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async clearLoginFailures(id) {
      await db
        .updateTable('users')
        .set({ failed_login_count: 0, locked_until: null })
        .where('id', '=', id)
        .execute();
    },

    async recordLoginSuccess(id, at) {
      const row = await db
        .updateTable('users')
        .set({ last_login_at: at, failed_login_count: 0, locked_until: null })
        .where('id', '=', id)
        .returning(userColumns)
        .executeTakeFirstOrThrow();
      return toUserRecord(row);
    },

    async recordLoginFailure(id) {
      // One UPDATE, so parallel wrong guesses each count.
      const row = await db
        .updateTable('users')
        .set({ failed_login_count: sql`failed_login_count + 1` })
        .where('id', '=', id)
        .returning('failed_login_count')
        .executeTakeFirst();
      return row?.failed_login_count ?? 0;
    },

    async findByIdForUpdate(id) {
      const row = await db
        .selectFrom('users')
        .select(userColumns)
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      return row && toUserRecord(row);
    },

    async lockActiveAdmins() {
      // The advisory lock covers the case of no admin row to lock yet (two nodes creating the
      // first admin at once); the row locks, taken in id order so two callers never deadlock,
      // keep any other writer off the admins while we decide.
      await sql`select pg_advisory_xact_lock(${ADMINS_LOCK_KEY})`.execute(db);
      const rows = await db
        .selectFrom('users')
        .select('id')
        .where('role', '=', 'admin')
        .where('disabled_at', 'is', null)
        .orderBy('id')
        .forUpdate()
        .execute();
      return rows.map((r) => r.id);
    },

    async update(id, changes) {
      try {
        const row = await db
          .updateTable('users')
          .set({
            ...(changes.name !== undefined && { name: changes.name }),
            ...(changes.email !== undefined && { email: changes.email }),
            ...(changes.role !== undefined && { role: changes.role }),
            ...(changes.locale !== undefined && { locale: changes.locale }),
            ...(changes.emailVerifiedAt !== undefined && { email_verified_at: changes.emailVerifiedAt }),
            ...(changes.pendingEmail !== undefined && { pending_email: changes.pendingEmail }),
            ...(changes.disabledAt !== undefined && { disabled_at: changes.disabledAt }),
            // Strictly later than before even within one millisecond: clients compare
            // `expectedUpdatedAt` at the millisecond precision of an ISO string.
            updated_at: sql`greatest(now(), updated_at + interval '1 millisecond')`,
          })
          .where('id', '=', id)
          .returning(userColumns)
          .executeTakeFirst();
        return row && toUserRecord(row);
      } catch (error) {
        if (isUniqueViolation(error, 'users_email_key')) throw new EmailTakenError();
        throw error;
      }
    },

    async delete(id) {
      const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows === 1n;
    },

    async insertMany(users) {
      if (users.length === 0) return [];
      const rows = await db
        .insertInto('users')
        .values(
          users.map((user) => ({
            email: user.email,
            name: user.name,
            password_hash: user.passwordHash,
            role: user.role,
            email_verified_at: user.emailVerifiedAt ?? null,
            disabled_at: user.disabledAt ?? null,
          })),
        )
        .onConflict((conflict) => conflict.column('email').doNothing())
        .returning(userColumns)
        .execute();
      return rows.map(toUserRecord);
    },

    async findByEmailsForUpdate(emails) {
      if (emails.length === 0) return [];
      const rows = await db
        .selectFrom('users')
        .select(userColumns)
        .where('email', 'in', emails)
        .orderBy('email')
        .forUpdate()
        .execute();
      return rows.map(toUserRecord);
    },

    async pageByEmail(afterEmail, limit) {
      let select = db.selectFrom('users').select(userColumns).orderBy('email').limit(limit);
      if (afterEmail !== undefined) select = select.where('email', '>', afterEmail);
      return (await select.execute()).map(toUserRecord);
    },

    async hasForeignPasswordHashes() {
      // Written as the partial index users_foreign_hash_idx is, so it is one probe of it.
      const row = await db
        .selectFrom('users')
        .select('id')
        .where(sql<SqlBool>`password_hash not like '$argon2id$%'`)
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },

    async list(query) {
      const timeoutMs = options.listTimeoutMs;
      // Inside a caller's transaction a SET LOCAL would outlive this query: no backstop there.
      if (timeoutMs === undefined || db.isTransaction) return listPage(db, query);
      try {
        return await db.transaction().execute(async (trx) => {
          // SET LOCAL: this listing only, never a pooled connection's later queries.
          await sql`select set_config('statement_timeout', ${String(timeoutMs)}, true)`.execute(trx);
          return listPage(trx, query);
        });
      } catch (error) {
        // 57014 query_canceled: the statement_timeout fired.
        if ((error as { code?: unknown }).code === '57014') throw new ListTimeoutError();
        throw error;
      }
    },
  };
}

/**
 * Rows of the requested order a search reads before it collects its matches instead: a
 * search common enough to fill a page in that many rows is served by walking the order.
 */
const SEARCH_WALK_ROWS = 2_000;

/**
 * One page of a listing. Every filter and sort is served by an index (the 2026-12-01-002
 * migration); a search takes at most two bounded steps. Walking the requested order and
 * keeping the matches is fastest for a common term, but the planner assumes matches are
 * spread evenly, and a search is often correlated with the order ("tim" sorted by name:
 * every match sits past the T's, so it read 900,000 of a million rows). So a search first
 * walks at most SEARCH_WALK_ROWS rows of the order; if that does not fill the page, it
 * collects every match through the trigram or prefix indexes and sorts those: the work is
 * bounded by the walk plus the number of matches, never by where they sit in the order.
 */
async function listPage(db: Kysely<Database>, query: UserListQuery): Promise<UserListRow[]> {
  const page = (rows: (Selectable<UsersTable> & { sort_value: string })[]) =>
    rows.map(({ sort_value, ...row }) => ({ user: toUserRecord(row), sortValue: sort_value }));
  if (!query.search) return page(await rowsOf(db, query).$call(inOrder(query)).limit(query.limit).execute());

  const walked = await db
    .selectFrom(rowsOf(db, query).$call(inOrder(query)).limit(SEARCH_WALK_ROWS).as('users'))
    .selectAll()
    .where(search(query))
    .$call(inOrder(query))
    .limit(query.limit)
    .execute();
  if (walked.length === query.limit) return page(walked);
  // OFFSET 0 keeps the subquery whole: planned on its own, it finds every match by index.
  const collected = await db
    .selectFrom(rowsOf(db, query).where(search(query)).offset(0).as('users'))
    .selectAll()
    .$call(inOrder(query))
    .limit(query.limit)
    .execute();
  return page(collected);
}

/** Users with their sort value, after the cursor and through the role and disabled filters (not the search). */
function rowsOf(db: Kysely<Database>, query: UserListQuery) {
  let select = db
    .selectFrom('users')
    .select(userColumns)
    .select(sortColumn(query.sort).value.as('sort_value'));
  for (const condition of filters(query)) select = select.where(condition);
  if (query.after) select = select.where(afterKeyset(query));
  return select;
}

/** The requested order. Emails are unique, so they order on their own; the other sorts break ties by id. */
function inOrder(query: UserListQuery) {
  const { column } = sortColumn(query.sort);
  return <QB extends SelectQueryBuilder<any, any, any>>(select: QB): QB => {
    const ordered = select.orderBy(column, query.order);
    return (query.sort === 'email' ? ordered : ordered.orderBy('id', query.order)) as QB;
  };
}

/** One key for "the set of admins" in pg_advisory_xact_lock (an arbitrary fixed bigint). */
const ADMINS_LOCK_KEY = 7_305_118_220_014_001n;

/**
 * The column a sort walks and its exact value as text: a timestamp goes out with all six
 * fractional digits (a JS Date would drop three and make pages skip or repeat rows).
 */
function sortColumn(sort: UserListQuery['sort']) {
  switch (sort) {
    case 'createdAt':
      return {
        column: 'created_at' as const,
        value: sql<string>`to_char(users.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      };
    case 'name':
      return { column: 'name' as const, value: sql<string>`users.name` };
    case 'email':
      return { column: 'email' as const, value: sql<string>`users.email` };
  }
}

/** Rows strictly after the cursor in the requested direction: a row comparison the index serves. */
function afterKeyset(query: UserListQuery): Expression<SqlBool> {
  const after = query.after!;
  const op = sql.raw(query.order === 'asc' ? '>' : '<');
  switch (query.sort) {
    case 'createdAt':
      return sql<SqlBool>`(users.created_at, users.id) ${op} (${after.value}::timestamptz, ${after.id}::uuid)`;
    case 'name':
      return sql<SqlBool>`(users.name, users.id) ${op} (${after.value}, ${after.id}::uuid)`;
    case 'email':
      return sql<SqlBool>`users.email ${op} ${after.value}`;
  }
}

function filters(query: UserListQuery): Expression<SqlBool>[] {
  const where: Expression<SqlBool>[] = [];
  if (query.role) where.push(sql<SqlBool>`users.role = ${query.role}`);
  if (query.disabled !== undefined)
    where.push(
      query.disabled ? sql<SqlBool>`users.disabled_at is not null` : sql<SqlBool>`users.disabled_at is null`,
    );
  return where;
}

/** The search condition (only called with a search). */
function search(query: UserListQuery): Expression<SqlBool> {
  // Written to match the indexes on `email` (stored lower-cased) and `lower(name)`: trigram
  // indexes for a substring, btree text_pattern_ops indexes for a prefix.
  const text = escapeLike(query.search!);
  const pattern = searchesSubstring(query.search!) ? `%${text}%` : `${text}%`;
  return sql<SqlBool>`(users.email like lower(${pattern}) or lower(users.name) like lower(${pattern}))`;
}

/**
 * True when a search is matched anywhere in the email or name: it holds three letters or
 * digits in a row, the least a trigram index can look up. A shorter search ("jo", "@x.")
 * would read every row as a substring, so it matches the start of the email or name instead.
 */
export function searchesSubstring(search: string): boolean {
  return /[\p{L}\p{N}]{3}/u.test(search);
}

/** Makes % _ and \ match themselves (backslash is LIKE's default escape character). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}
