import type { ZodError } from 'zod';
import type { Caller, RequestInfo } from '../context.js';
import { authorize } from '../errors.js';
import { finish } from '../i18n/format.js';
import { issueMessage } from '../i18n/field-messages.js';
import { importRefusal } from '../i18n/import-refusals.js';
import type { Locale } from '../i18n/locales.js';
import { policyRefusal } from '../i18n/policy-refusals.js';
import { isDemotion } from '../policy.js';
import {
  oneTimePurposes,
  type ActorKind,
  type Deps,
  type Stores,
  type UserChanges,
  type UserRecord,
} from '../ports/index.js';
import { actorOf, subjectOf } from './caller.js';
import { emitAll } from './events.js';
import {
  importRow,
  type ImportError,
  type ImportResult,
  type ImportUsersInput,
  type ValidImportRow,
} from '../schemas/import.js';

/** The error of a taken email under `onConflict: "fail"`: the batch was rolled back. */
export const BATCH_REFUSED = importRefusal('batch_refused', 'en');

/** Who runs an import or export: an admin through the API, or the operator through the CLI (no account). */
export interface BulkActor {
  actorId: string | null;
  /** `api_key` when a service imports or exports with its key. */
  actorKind?: ActorKind;
  ip: string | null;
  userAgent: string | null;
  /** The language of the row errors; English when unset (the CLI). */
  locale?: Locale;
}

/** `users.import`: an admin imports one batch (see runImport). */
export async function importUsers(
  deps: Deps,
  request: RequestInfo,
  caller: Caller,
  input: ImportUsersInput,
): Promise<ImportResult> {
  authorize(subjectOf(caller), 'users.import');
  const { id, kind } = actorOf(caller);
  return runImport(
    deps,
    { actorId: id, actorKind: kind, ip: request.ip, userAgent: request.userAgent, locale: request.locale },
    input,
  );
}

/**
 * Imports one batch of rows in one transaction. Each row is checked on its own; a bad row is
 * reported in `errors` (its index, the field, why) and the good ones go in. An email that has
 * an account already is, by `onConflict`: `skip` left as it is (counted in `skipped`),
 * `update` changed to what the row says (fields it leaves out stay), `fail` reported, and
 * then nothing of the batch is written. `dryRun` runs the same work and rolls it back, so it
 * reports exactly what a real run would have done then. No mail is sent: imported people
 * with no password set one through "forgot password". One audit event tells the counts.
 */
export async function runImport(
  deps: Pick<Deps, 'transact' | 'clock' | 'settings'>,
  by: BulkActor,
  input: ImportUsersInput,
): Promise<ImportResult> {
  const { valid, errors: rowErrors } = checkRows(input.rows, by.locale ?? 'en');
  if (valid.length === 0) return { created: 0, updated: 0, skipped: 0, errors: rowErrors };
  try {
    return await deps.transact(async (stores) => {
      // Built afresh on each attempt: transact runs this again after a deadlock.
      const result = await importBatch(deps, stores, by, input, valid, [...rowErrors]);
      if (input.dryRun || result.refused) throw new RolledBack(result.refused ?? result);
      await stores.audit.record({
        actorId: by.actorId,
        ...(by.actorKind && { actorKind: by.actorKind }),
        action: 'users.import',
        targetId: null,
        ip: by.ip,
        userAgent: by.userAgent,
        metadata: {
          created: result.created,
          updated: result.updated,
          skipped: result.skipped,
          rejected: result.errors.length,
          onConflict: input.onConflict,
          ...(by.actorId === null && { via: 'cli' }),
        },
      });
      return withoutRefusal(result);
    });
  } catch (error) {
    if (error instanceof RolledBack) return withoutRefusal(error.result);
    throw error;
  }
}

interface CheckedRow {
  index: number;
  row: ValidImportRow;
}

/** Every row against `importRow`; the second row with an email is refused. */
function checkRows(rows: readonly unknown[], locale: Locale): { valid: CheckedRow[]; errors: ImportError[] } {
  const valid: CheckedRow[] = [];
  const errors: ImportError[] = [];
  const firstRowOf = new Map<string, number>();
  rows.forEach((raw, index) => {
    const parsed = importRow.safeParse(raw);
    if (!parsed.success) {
      errors.push(...fieldErrors(index, parsed.error, locale, raw));
      return;
    }
    const first = firstRowOf.get(parsed.data.email);
    if (first !== undefined) {
      errors.push({
        row: index,
        field: 'email',
        message: importRefusal('same_email', locale, { first }),
      });
      return;
    }
    firstRowOf.set(parsed.data.email, index);
    valid.push({ index, row: parsed.data });
  });
  return { valid, errors };
}

/** One error per field of a row (the first message), in the order of the fields. */
function fieldErrors(row: number, error: ZodError, locale: Locale, raw: unknown): ImportError[] {
  const seen = new Set<string>();
  const out: ImportError[] = [];
  for (const issue of error.issues) {
    const field = issue.path.length > 0 ? issue.path.join('.') : 'row';
    if (seen.has(field)) continue;
    seen.add(field);
    out.push({ row, field, message: issueMessage(issue, locale, raw) });
  }
  return out;
}

interface BatchResult extends ImportResult {
  /** Set under `onConflict: "fail"` when an email was taken: the answer, once rolled back. */
  refused?: BatchResult;
}

async function importBatch(
  deps: Pick<Deps, 'clock' | 'settings'>,
  stores: Stores,
  by: BulkActor,
  input: ImportUsersInput,
  valid: CheckedRow[],
  errors: ImportError[],
): Promise<BatchResult> {
  const now = deps.clock.now();
  // The admins' lock before any user row (the lock order of every change to roles): an
  // update may demote or disable an admin.
  const admins = input.onConflict === 'update' ? new Set(await stores.users.lockActiveAdmins()) : undefined;
  // Sorted by email, so two imports of overlapping files take row locks in the same order.
  const sorted = [...valid].sort((a, b) => (a.row.email < b.row.email ? -1 : 1));
  const existing = new Map(
    (await stores.users.findByEmailsForUpdate(sorted.map((c) => c.row.email))).map((u) => [u.email, u]),
  );
  const fresh = sorted.filter((c) => !existing.has(c.row.email));
  const created = await stores.users.insertMany(
    fresh.map(({ row }) => ({
      email: row.email,
      name: row.name,
      role: row.role ?? 'user',
      passwordHash: row.passwordHash ?? null,
      emailVerifiedAt: row.emailVerified ? now : null,
      disabledAt: row.disabled ? now : null,
      locale: row.locale ?? deps.settings.defaultLocale,
    })),
  );
  // Other services hear of imported accounts as of any other (a dry run rolls these back too).
  await emitAll(
    deps,
    stores,
    created.map((user) => ({ type: 'user.created' as const, user })),
  );
  const inserted = new Set(created.map((u) => u.email));
  // Emails another transaction took between our look-up and our insert count as taken too.
  const taken = sorted.filter((c) => !inserted.has(c.row.email));
  const result: BatchResult = { created: inserted.size, updated: 0, skipped: 0, errors };

  if (input.onConflict === 'fail' && taken.length > 0) {
    for (const { index } of taken)
      errors.push({
        row: index,
        field: 'email',
        message: importRefusal('batch_refused', by.locale ?? 'en'),
      });
    result.refused = { created: 0, updated: 0, skipped: 0, errors: sortByRow(errors) };
    return result;
  }
  if (input.onConflict === 'skip') {
    result.skipped = taken.length;
    result.errors = sortByRow(errors);
    return result;
  }
  const lateComers = taken.filter((c) => !existing.has(c.row.email)).map((c) => c.row.email);
  if (lateComers.length > 0)
    for (const user of await stores.users.findByEmailsForUpdate(lateComers)) existing.set(user.email, user);
  for (const checked of taken) {
    const target = existing.get(checked.row.email);
    if (!target) continue; // Deleted meanwhile: nothing left to update.
    const refusal = applyRow(checked.row, target, by, admins!);
    if (refusal) {
      errors.push({ row: checked.index, ...refusal });
      continue;
    }
    if (await updateFromRow(deps, stores, target, checked.row, now)) result.updated++;
    else result.skipped++;
  }
  result.errors = sortByRow(errors);
  return result;
}

/**
 * Why a row may not change its account, if it may not: nobody changes their own role or
 * disables themselves, and the last enabled admin stays one. `admins` (locked) follows the
 * batch's own changes.
 */
function applyRow(
  row: ValidImportRow,
  target: UserRecord,
  by: BulkActor,
  admins: Set<string>,
): { field: string; message: string } | undefined {
  const roleChanges = row.role !== undefined && row.role !== target.role;
  const disables = row.disabled === true && target.disabledAt === null;
  const locale = by.locale ?? 'en';
  if (target.id === by.actorId && roleChanges)
    return { field: 'role', message: finish(locale, policyRefusal('set_role_self', locale)) };
  if (target.id === by.actorId && disables)
    return { field: 'disabled', message: finish(locale, policyRefusal('disable_self', locale)) };
  if (admins.has(target.id) && (roleChanges || disables)) {
    if (admins.size <= 1)
      return {
        field: roleChanges ? 'role' : 'disabled',
        message: importRefusal('last_admin', locale),
      };
    admins.delete(target.id);
  }
  return undefined;
}

/**
 * Changes an existing account to what the row says, with what the same change through
 * users.update implies: a demotion or disable ends its sessions, a disable ends its links, a
 * new password hash ends sessions and links that set a password. False when nothing differed.
 */
async function updateFromRow(
  deps: Pick<Deps, 'clock'>,
  stores: Stores,
  target: UserRecord,
  row: ValidImportRow,
  now: Date,
): Promise<boolean> {
  const changes: UserChanges = {};
  if (row.name !== target.name) changes.name = row.name;
  if (row.role !== undefined && row.role !== target.role) changes.role = row.role;
  if (row.locale !== undefined && row.locale !== target.locale) changes.locale = row.locale;
  if (row.emailVerified !== undefined && row.emailVerified !== (target.emailVerifiedAt !== null))
    changes.emailVerifiedAt = row.emailVerified ? now : null;
  if (row.disabled !== undefined && row.disabled !== (target.disabledAt !== null))
    changes.disabledAt = row.disabled ? now : null;
  const newHash = row.passwordHash != null && row.passwordHash !== target.passwordHash;
  if (Object.keys(changes).length === 0 && !newHash) return false;

  const updated = Object.keys(changes).length > 0 ? await stores.users.update(target.id, changes) : undefined;
  if (newHash) await stores.users.setPasswordHash(target.id, row.passwordHash!);
  const demoted = changes.role !== undefined && isDemotion(target.role, changes.role);
  const disabled = changes.disabledAt != null;
  const sessionsEnded =
    demoted || disabled || newHash ? await stores.sessions.revokeAllForUser(target.id, now) : 0;
  if (disabled) await stores.oneTimeTokens.revokeForUser(target.id, oneTimePurposes);
  else if (newHash) await stores.oneTimeTokens.revokeForUser(target.id, ['password_reset', 'invite']);
  // The events the same change through users.update or a password change would send.
  const user = updated ?? target;
  await emitAll(deps, stores, [
    ...(changes.name !== undefined || changes.locale !== undefined
      ? [{ type: 'user.updated' as const, user }]
      : []),
    ...(changes.role !== undefined
      ? [{ type: 'user.role_changed' as const, user, extra: { previousRole: target.role } }]
      : []),
    ...(changes.disabledAt !== undefined
      ? [{ type: changes.disabledAt ? ('user.disabled' as const) : ('user.enabled' as const), user }]
      : []),
    ...(changes.emailVerifiedAt ? [{ type: 'user.email_verified' as const, user }] : []),
    ...(newHash ? [{ type: 'user.password_changed' as const, user }] : []),
    ...(sessionsEnded > 0 ? [{ type: 'session.revoked' as const, user, extra: { sessionId: null } }] : []),
  ]);
  return true;
}

function sortByRow(errors: ImportError[]): ImportError[] {
  return errors.sort((a, b) => a.row - b.row);
}

function withoutRefusal({ created, updated, skipped, errors }: ImportResult): ImportResult {
  return { created, updated, skipped, errors };
}

/** Thrown out of a transaction to undo it while keeping the answer (dry run, refused batch). */
class RolledBack extends Error {
  constructor(readonly result: ImportResult) {
    super('rolled back');
  }
}
