import { z } from 'zod';
import type { Actor, Caller, RequestInfo } from '../context.js';
import { apiError, authorize, emailTaken, fieldError, notFound, notSignedIn } from '../errors.js';
import { isDemotion, type Subject, type Target } from '../policy.js';
import type { Locale } from '../i18n/locales.js';
import {
  EmailTakenError,
  ListTimeoutError,
  oneTimePurposes,
  type Deps,
  type Keyset,
  type Stores,
  type UserChanges,
  type UserRecord,
} from '../ports/index.js';
import {
  cursorCodec,
  exactTimestamp,
  sortOrders,
  userSorts,
  type CreateUserInput,
  type DeleteMeInput,
  type ListUsersInput,
  type Role,
  type UpdateMeInput,
  type UpdateUserInput,
  type User,
  type UserPage,
} from '../schemas/users.js';
import { composeMail } from '../mail/templates.js';
import { assertPasswordAllowed } from './auth.js';
import { countAgainstAddressLimit } from './address-limits.js';
import {
  queueEmailChange,
  queueEmailVerification,
  queueInvite,
  queueSecondFactorNotice,
} from './mail-flows.js';
import { assertCurrentPassword } from './passwords.js';
import { afterFactorRemoved } from './second-factor-state.js';
import { auditedBy, currentSubject, subjectOf, type CurrentSubject } from './caller.js';
import { emit } from './events.js';
import { toUser } from './user-view.js';

const userCursor = cursorCodec(
  z.object({
    s: z.enum(userSorts),
    o: z.enum(sortOrders),
    v: z
      .string()
      .max(512)
      .refine((v) => !v.includes('\u0000')),
    id: z.uuid(),
  }),
);

/** A page of users, for managers and admins, in keyset order (see the README on cursors). */
export async function listUsers(deps: Deps, caller: Caller, input: ListUsersInput): Promise<UserPage> {
  authorize(subjectOf(caller), 'users.list');
  let after: Keyset | undefined;
  if (input.cursor !== undefined) {
    const cursor = userCursor.decode(input.cursor);
    if (!cursor || (cursor.s === 'createdAt' && !exactTimestamp.safeParse(cursor.v).success))
      throw fieldError('cursor', 'invalid_cursor', {});
    if (cursor.s !== input.sort || cursor.o !== input.order)
      throw fieldError('cursor', 'invalid_cursor', { sort: cursor.s, order: cursor.o });
    after = { value: cursor.v, id: cursor.id };
  }
  // One row more than asked tells whether another page exists.
  const rows = await deps.stores.users
    .list({
      search: input.search || undefined,
      role: input.role,
      disabled: input.disabled,
      sort: input.sort,
      order: input.order,
      after,
      limit: input.limit + 1,
    })
    .catch((error: unknown) => {
      if (error instanceof ListTimeoutError) throw apiError('SERVICE_UNAVAILABLE', 'list_timeout');
      throw error;
    });
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > input.limit && last
      ? userCursor.encode({ s: input.sort, o: input.order, v: last.sortValue, id: last.user.id })
      : null;
  return { items: page.map((row) => toUser(row.user)), nextCursor };
}

/** One account: your own, or anyone's for managers and admins. */
export async function getUser(deps: Deps, caller: Caller, id: string): Promise<User> {
  const target = await deps.stores.users.findById(id);
  authorize(subjectOf(caller), 'users.read', target ?? unknownAccount(id));
  if (!target) throw noSuchUser();
  return toUser(target);
}

/**
 * Creates an account for someone else. With a password it is ready to use; without one the
 * person gets an invite email whose link sets the first password.
 */
export async function createUser(
  deps: Deps,
  request: RequestInfo,
  caller: Caller,
  input: CreateUserInput,
): Promise<User> {
  authorize(subjectOf(caller), 'users.create', { role: input.role });
  if (input.password !== undefined)
    await assertPasswordAllowed(deps, 'password', input.password, input.email);
  // Cheap early answer for the common case (and no hash spent on it); the unique index settles races.
  if (await deps.stores.users.findByEmail(input.email)) throw emailTaken();
  const passwordHash = input.password === undefined ? null : await deps.hasher.hash(input.password);
  return mapEmailTaken(() =>
    deps.transact(async (stores) => {
      const me = await currentSubject(deps, stores, caller);
      authorize(me, 'users.create', { role: input.role });
      const created = await stores.users.insert({
        email: input.email,
        name: input.name,
        passwordHash,
        role: input.role,
        // Staff create the account; its mail (the invite first) is in the deployment's language.
        locale: deps.settings.defaultLocale,
      });
      if (passwordHash === null) await queueInvite(deps, stores, created);
      await emit(deps, stores, 'user.created', created);
      await stores.audit.record({
        ...auditedBy(me, request),
        action: 'users.create',
        targetId: created.id,
        metadata: { email: created.email, role: created.role, invited: passwordHash === null },
      });
      return toUser(created);
    }),
  );
}

/**
 * Changes another account (or one's own name). Each kind of change is its own
 * permission: profile fields, role, disabled. With `expectedUpdatedAt`, a stale edit is refused.
 */
export async function updateUser(
  deps: Deps,
  request: RequestInfo,
  caller: Caller,
  input: UpdateUserInput,
): Promise<User> {
  const { id, expectedUpdatedAt, ...fields } = input;
  const current = await deps.stores.users.findById(id);
  authorize(subjectOf(caller), 'users.update', current ?? unknownAccount(id));
  if (!current) throw noSuchUser();
  // Refuse early, before any lock, on what the caller could see; re-checked below on fresh rows.
  authorizeChanges(subjectOf(caller), current, planChanges(current, fields));

  return mapEmailTaken(() =>
    deps.transact(async (stores) => {
      // Only a role change or a disable can take away an admin; the admin lock comes first so
      // every such transaction takes its locks in the same order.
      const admins =
        fields.role !== undefined || fields.disabled === true ? await stores.users.lockActiveAdmins() : [];
      const target = await stores.users.findByIdForUpdate(id);
      if (!target) throw noSuchUser();
      const me = await currentSubject(deps, stores, caller);
      const plan = planChanges(target, fields);
      authorize(me, 'users.update', target);
      authorizeChanges(me, target, plan);
      if (expectedUpdatedAt !== undefined && Date.parse(expectedUpdatedAt) !== target.updatedAt.getTime())
        throw staleUpdate();
      if (removesAdmin(target, plan))
        assertNotLastAdmin(admins, target.id, plan.disabled ? 'disable' : 'demote');
      return toUser(await applyChanges(deps, stores, request, me, target, plan));
    }),
  );
}

/** Deletes another account. Sessions and tokens go with it; the audit trail stays. */
export async function deleteUser(
  deps: Deps,
  request: RequestInfo,
  caller: Caller,
  id: string,
): Promise<void> {
  const current = await deps.stores.users.findById(id);
  authorize(subjectOf(caller), 'users.delete', current ?? unknownAccount(id));
  if (!current) throw noSuchUser();
  await deps.transact(async (stores) => {
    const admins = await stores.users.lockActiveAdmins();
    const target = await stores.users.findByIdForUpdate(id);
    if (!target) throw noSuchUser();
    const me = await currentSubject(deps, stores, caller);
    authorize(me, 'users.delete', target);
    assertNotLastAdmin(admins, target.id, 'delete');
    await stores.users.delete(target.id);
    await emit(deps, stores, 'user.deleted', target);
    await stores.audit.record({
      ...auditedBy(me, request),
      action: 'users.delete',
      targetId: target.id,
      metadata: { email: target.email, role: target.role },
    });
  });
}

/**
 * Removes every second factor of another account (admins): authenticator app, recovery codes,
 * passkeys and open sign-in challenges, for an owner who lost them. The owner is told by mail.
 */
export async function resetMfa(deps: Deps, request: RequestInfo, caller: Caller, id: string): Promise<User> {
  const current = await deps.stores.users.findById(id);
  authorize(subjectOf(caller), 'users.resetMfa', current ?? unknownAccount(id));
  if (!current) throw noSuchUser();
  return deps.transact(async (stores) => {
    const target = await stores.users.findByIdForUpdate(id);
    if (!target) throw noSuchUser();
    const me = await currentSubject(deps, stores, caller);
    authorize(me, 'users.resetMfa', target);
    const hadTotp = await stores.secondFactors.deleteTotp(target.id);
    const passkeys = await stores.passkeys.deleteAllForUser(target.id);
    await afterFactorRemoved(stores, target.id);
    await stores.audit.record({
      ...auditedBy(me, request),
      action: 'users.mfa_reset',
      targetId: target.id,
      metadata: { totp: hadTotp, passkeys },
    });
    await queueSecondFactorNotice(deps, stores, target, { kind: 'reset_by_admin' });
    const fresh = await stores.users.findById(target.id);
    return toUser(fresh ?? target);
  });
}

/** Email changes an account may ask for per day: each one mails a link to an address of the caller's choosing. */
export const EMAIL_CHANGES_PER_DAY = 5;

/**
 * The caller changes their own name and/or email; any other key in the input is ignored. A
 * new email needs the current password and is only held as `pendingEmail` until the link
 * mailed to it is followed (auth.verifyEmail); the current address keeps working meanwhile
 * and is told of the request. Asking for the current address again cancels a pending change.
 */
export async function updateMe(
  deps: Deps,
  request: RequestInfo,
  actor: Actor,
  input: UpdateMeInput,
): Promise<User> {
  authorize(actor.user, 'users.updateMe');
  const newEmail = input.email !== undefined && input.email !== actor.user.email ? input.email : undefined;
  if (newEmail !== undefined) {
    if (input.currentPassword === undefined) throw fieldError('currentPassword', 'current_password_required');
    // Per address too, as change password and delete account are at the HTTP edge, which
    // cannot tell an email change from a name change (a name change checks no password).
    await countAgainstAddressLimit(deps, request, 'passwordChecks');
    await assertCurrentPassword(deps, request, actor, {
      password: input.currentPassword,
      field: 'currentPassword',
      action: 'users.email_change',
    });
    // Two mails, one to an address of the caller's choosing: the address's mail budget, as
    // reset and verification requests count, counted before anything is written or queued.
    await countAgainstAddressLimit(deps, request, 'mail');
    await reserveEmailChange(deps, request, actor.user.id);
    // Told now rather than at confirmation: the caller proved the password and is limited
    // to a few changes a day, while auth.register already answers this to anyone (README).
    const holder = await deps.stores.users.findByEmail(newEmail);
    if (holder && holder.id !== actor.user.id) throw emailTaken();
  }
  return deps.transact(async (stores) => {
    const me = await stores.users.findByIdForUpdate(actor.user.id);
    if (!me || me.disabledAt) throw notSignedIn();
    let updated = await applyChanges(
      deps,
      stores,
      request,
      personal(me),
      me,
      planChanges(me, { name: input.name, locale: input.locale }),
    );
    if (newEmail !== undefined && newEmail !== me.email)
      updated = await requestEmailChange(deps, stores, request, updated, newEmail);
    else if (input.email !== undefined && me.pendingEmail !== null)
      updated = await cancelEmailChange(deps, stores, request, updated);
    return toUser(updated);
  });
}

/** Counts one email change of the account against its daily allowance; over it, 429 with Retry-After. */
async function reserveEmailChange(deps: Deps, request: RequestInfo, userId: string): Promise<void> {
  const { count, resetInSeconds } = await deps.throttle.hit(`email-change:account:${userId}`, 86_400);
  if (count <= EMAIL_CHANGES_PER_DAY) return;
  request.setHeader('Retry-After', String(resetInSeconds));
  throw apiError('TOO_MANY_REQUESTS', 'too_many_email_changes', { retryAfterSeconds: resetInSeconds });
}

/** Holds `newEmail` as pending, mails the confirmation link to it and a notice (no link) to the current address. */
async function requestEmailChange(
  deps: Deps,
  stores: Stores,
  request: RequestInfo,
  me: UserRecord,
  newEmail: string,
): Promise<UserRecord> {
  const updated = await stores.users.update(me.id, { pendingEmail: newEmail });
  if (!updated) throw notSignedIn();
  await emit(deps, stores, 'user.updated', updated);
  await queueEmailChange(deps, stores, updated, newEmail);
  await stores.outbox.enqueue(composeMail('emailChangeRequested', me.locale, { to: me.email, newEmail }));
  await stores.audit.record({
    ...by(me.id, request),
    action: 'users.email_change.request',
    targetId: me.id,
    metadata: { from: me.email, to: newEmail },
  });
  return updated;
}

/** Drops a pending email change and its link. */
async function cancelEmailChange(
  deps: Deps,
  stores: Stores,
  request: RequestInfo,
  me: UserRecord,
): Promise<UserRecord> {
  const updated = await stores.users.update(me.id, { pendingEmail: null });
  if (!updated) throw notSignedIn();
  await emit(deps, stores, 'user.updated', updated);
  await stores.oneTimeTokens.revokeForUser(me.id, ['email_change']);
  await stores.audit.record({
    ...by(me.id, request),
    action: 'users.email_change.cancel',
    targetId: me.id,
    metadata: { pending: me.pendingEmail },
  });
  return updated;
}

/**
 * The caller deletes their own account, confirming with the current password. A wrong
 * password is a BAD_REQUEST on the `password` field (not a 401, which clients take as
 * "signed out"), and counts as a failed sign-in so it cannot be used to guess passwords.
 */
export async function deleteMe(
  deps: Deps,
  request: RequestInfo,
  actor: Actor,
  input: DeleteMeInput,
): Promise<void> {
  authorize(actor.user, 'users.deleteMe');
  await assertCurrentPassword(deps, request, actor, {
    password: input.password,
    field: 'password',
    action: 'users.deleteMe',
  });
  await deps.transact(async (stores) => {
    const admins = await stores.users.lockActiveAdmins();
    const me = await stores.users.findByIdForUpdate(actor.user.id);
    if (!me) throw notSignedIn();
    if (admins.includes(me.id) && admins.length <= 1)
      throw apiError('CONFLICT', 'last_admin', { action: 'delete_self' });
    await stores.users.delete(me.id);
    await emit(deps, stores, 'user.deleted', me);
    await stores.audit.record({
      ...by(me.id, request),
      action: 'users.delete',
      targetId: me.id,
      metadata: { email: me.email, role: me.role, self: true },
    });
  });
}

/** What an update actually changes: only fields given and different from the stored ones. */
interface Plan {
  name?: string;
  locale?: Locale;
  email?: string;
  role?: Role;
  disabled?: boolean;
}

function planChanges(
  target: UserRecord,
  fields: {
    name?: string | undefined;
    locale?: Locale | undefined;
    email?: string | undefined;
    role?: Role | undefined;
    disabled?: boolean | undefined;
  },
): Plan {
  const plan: Plan = {};
  if (fields.name !== undefined && fields.name !== target.name) plan.name = fields.name;
  if (fields.locale !== undefined && fields.locale !== target.locale) plan.locale = fields.locale;
  if (fields.email !== undefined && fields.email !== target.email) plan.email = fields.email;
  if (fields.role !== undefined && fields.role !== target.role) plan.role = fields.role;
  if (fields.disabled !== undefined && fields.disabled !== (target.disabledAt !== null))
    plan.disabled = fields.disabled;
  return plan;
}

/** Every permission a plan needs, beyond the right to update the account at all. */
function authorizeChanges(actor: Subject, target: UserRecord, plan: Plan): void {
  if (plan.email !== undefined) authorize(actor, 'users.setEmail', target);
  if (plan.role !== undefined) authorize(actor, 'users.setRole', target);
  if (plan.disabled !== undefined) authorize(actor, 'users.disable', target);
}

function removesAdmin(target: UserRecord, plan: Plan): boolean {
  if (target.role !== 'admin' || target.disabledAt !== null) return false;
  return (plan.role !== undefined && plan.role !== 'admin') || plan.disabled === true;
}

/** `admins` comes from lockActiveAdmins in the same transaction, so the answer cannot go stale. */
function assertNotLastAdmin(admins: string[], targetId: string, verb: 'delete' | 'disable' | 'demote'): void {
  if (admins.includes(targetId) && admins.length <= 1)
    throw apiError('CONFLICT', 'last_admin', { action: verb });
}

/**
 * Writes a plan, queues what it implies and records it in the audit log, all in `stores`'
 * transaction, which holds the target's row lock. A staff email change applies at once,
 * unverified: every link of the account dies, the new address gets a verification link (an
 * invite if no password was ever set) and the old one a notice. A demotion or a disable ends
 * every session.
 */
async function applyChanges(
  deps: Deps,
  stores: Stores,
  request: RequestInfo,
  actor: CurrentSubject,
  target: UserRecord,
  plan: Plan,
): Promise<UserRecord> {
  const now = deps.clock.now();
  const changes: UserChanges = {};
  if (plan.name !== undefined) changes.name = plan.name;
  if (plan.locale !== undefined) changes.locale = plan.locale;
  if (plan.email !== undefined)
    Object.assign(changes, { email: plan.email, emailVerifiedAt: null, pendingEmail: null });
  if (plan.role !== undefined) changes.role = plan.role;
  if (plan.disabled !== undefined) changes.disabledAt = plan.disabled ? now : null;
  if (plan.disabled === true) changes.pendingEmail = null;
  if (Object.keys(changes).length === 0) return target;

  const updated = await stores.users.update(target.id, changes);
  if (!updated) throw noSuchUser();
  // A link belongs to the address it was sent to, and a disabled account follows none.
  if (plan.email !== undefined || plan.disabled === true)
    await stores.oneTimeTokens.revokeForUser(target.id, oneTimePurposes);
  if (plan.email !== undefined) {
    // A disabled account follows no link; once enabled, its owner asks for one (verification
    // or reset) like anyone else.
    if (updated.disabledAt === null)
      await (updated.passwordHash === null ? queueInvite : queueEmailVerification)(deps, stores, updated);
    await stores.outbox.enqueue(
      composeMail('emailChangedByStaff', target.locale, { to: target.email, newEmail: plan.email }),
    );
  }
  // Access tokens carry the role and other services trust them offline until they expire:
  // a demotion ends every session, so the old role is not trusted for a quarter of an hour
  // more. A promotion keeps them (a stale lower role grants less). A disable ends them too,
  // so re-enabling the account does not bring old devices back.
  const demoted = plan.role !== undefined && isDemotion(target.role, plan.role);
  const sessionsEnded =
    demoted || plan.disabled === true ? await stores.sessions.revokeAllForUser(target.id, now) : 0;

  await emitChanges(deps, stores, target, updated, plan, sessionsEnded);

  const self = actor.kind === 'user' && actor.id === target.id;
  const event = { ...auditedBy(actor, request), targetId: target.id };
  if (plan.name !== undefined || plan.email !== undefined || plan.locale !== undefined) {
    const diff: Record<string, { from: string; to: string }> = {};
    if (plan.name !== undefined) diff.name = { from: target.name, to: plan.name };
    if (plan.locale !== undefined) diff.locale = { from: target.locale, to: plan.locale };
    if (plan.email !== undefined) diff.email = { from: target.email, to: plan.email };
    await stores.audit.record({ ...event, action: 'users.update', metadata: { changes: diff, self } });
  }
  if (plan.role !== undefined)
    await stores.audit.record({
      ...event,
      action: 'users.role.change',
      metadata: { from: target.role, to: plan.role, ...(demoted && { sessionsEnded }) },
    });
  if (plan.disabled !== undefined)
    await stores.audit.record({
      ...event,
      action: plan.disabled ? 'users.disable' : 'users.enable',
      ...(plan.disabled && { metadata: { sessionsEnded } }),
    });
  return updated;
}

/** The caller of a self-service change, as the audit log and applyChanges name them. */
function personal(me: UserRecord): CurrentSubject {
  return { id: me.id, role: me.role, kind: 'user' };
}

/**
 * The webhook events of an applied plan: one per kind of change (a profile change is
 * `user.updated`), and `session.revoked` (every session: `sessionId` null) when it ended any.
 */
async function emitChanges(
  deps: Deps,
  stores: Stores,
  before: UserRecord,
  after: UserRecord,
  plan: Plan,
  sessionsEnded: number,
): Promise<void> {
  if (plan.name !== undefined || plan.email !== undefined || plan.locale !== undefined)
    await emit(deps, stores, 'user.updated', after);
  if (plan.role !== undefined)
    await emit(deps, stores, 'user.role_changed', after, { previousRole: before.role });
  if (plan.disabled !== undefined)
    await emit(deps, stores, plan.disabled ? 'user.disabled' : 'user.enabled', after);
  if (sessionsEnded > 0) await emit(deps, stores, 'session.revoked', after, { sessionId: null });
}

/**
 * An id with no account behind it is judged as the least privileged account, so a caller
 * who may not act on others gets FORBIDDEN whether or not the id exists (no existence oracle),
 * and one who may gets NOT_FOUND.
 */
function unknownAccount(id: string): Target {
  return { id, role: 'user' };
}

function by(actorId: string, request: RequestInfo) {
  return { actorId, ip: request.ip, userAgent: request.userAgent };
}

const noSuchUser = () => notFound('user_not_found');

const staleUpdate = () => apiError('CONFLICT', 'stale_update');

async function mapEmailTaken<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof EmailTakenError) throw emailTaken();
    throw error;
  }
}
