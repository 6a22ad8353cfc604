import { z } from 'zod';
import type { Actor, RequestInfo } from '../context.js';
import { apiError, authorize, emailTaken, fieldError, notFound, notSignedIn } from '../errors.js';
import type { Target } from '../policy.js';
import {
  EmailTakenError,
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
import { assertPasswordAllowed } from './auth.js';
import { queueEmailVerification, queueInvite } from './mail-flows.js';
import { assertCurrentPassword } from './passwords.js';
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
export async function listUsers(deps: Deps, actor: Actor, input: ListUsersInput): Promise<UserPage> {
  authorize(actor.user, 'users.list');
  let after: Keyset | undefined;
  if (input.cursor !== undefined) {
    const cursor = userCursor.decode(input.cursor);
    if (!cursor || (cursor.s === 'createdAt' && !exactTimestamp.safeParse(cursor.v).success))
      throw fieldError(
        'cursor',
        'This cursor is not valid; start again from the first page',
        'invalid_cursor',
      );
    if (cursor.s !== input.sort || cursor.o !== input.order)
      throw fieldError(
        'cursor',
        `This cursor belongs to a list sorted by ${cursor.s} ${cursor.o}; pass the same sort and order, or start again without a cursor`,
        'invalid_cursor',
      );
    after = { value: cursor.v, id: cursor.id };
  }
  // One row more than asked tells whether another page exists.
  const rows = await deps.stores.users.list({
    search: input.search || undefined,
    role: input.role,
    disabled: input.disabled,
    sort: input.sort,
    order: input.order,
    after,
    limit: input.limit + 1,
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
export async function getUser(deps: Deps, actor: Actor, id: string): Promise<User> {
  const target = await deps.stores.users.findById(id);
  authorize(actor.user, 'users.read', target ?? unknownAccount(id));
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
  actor: Actor,
  input: CreateUserInput,
): Promise<User> {
  authorize(actor.user, 'users.create', { role: input.role });
  if (input.password !== undefined) assertPasswordAllowed(deps, 'password', input.password, input.email);
  // Cheap early answer for the common case (and no hash spent on it); the unique index settles races.
  if (await deps.stores.users.findByEmail(input.email)) throw emailTaken();
  const passwordHash = input.password === undefined ? null : await deps.hasher.hash(input.password);
  return mapEmailTaken(() =>
    deps.transact(async (stores) => {
      const me = await currentActor(stores, actor);
      authorize(me, 'users.create', { role: input.role });
      const created = await stores.users.insert({
        email: input.email,
        name: input.name,
        passwordHash,
        role: input.role,
      });
      if (passwordHash === null) await queueInvite(deps, stores, created);
      await stores.audit.record({
        ...by(me.id, request),
        action: 'users.create',
        targetId: created.id,
        metadata: { email: created.email, role: created.role, invited: passwordHash === null },
      });
      return toUser(created);
    }),
  );
}

/**
 * Changes another account (or one's own name and email). Each kind of change is its own
 * permission: profile fields, role, disabled. With `expectedUpdatedAt`, a stale edit is refused.
 */
export async function updateUser(
  deps: Deps,
  request: RequestInfo,
  actor: Actor,
  input: UpdateUserInput,
): Promise<User> {
  const { id, expectedUpdatedAt, ...fields } = input;
  const current = await deps.stores.users.findById(id);
  authorize(actor.user, 'users.update', current ?? unknownAccount(id));
  if (!current) throw noSuchUser();
  // Refuse early, before any lock, on what the caller could see; re-checked below on fresh rows.
  authorizeChanges(actor.user, current, planChanges(current, fields));

  return mapEmailTaken(() =>
    deps.transact(async (stores) => {
      // Only a role change or a disable can take away an admin; the admin lock comes first so
      // every such transaction takes its locks in the same order.
      const admins =
        fields.role !== undefined || fields.disabled === true ? await stores.users.lockActiveAdmins() : [];
      const target = await stores.users.findByIdForUpdate(id);
      if (!target) throw noSuchUser();
      const me = await currentActor(stores, actor);
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
export async function deleteUser(deps: Deps, request: RequestInfo, actor: Actor, id: string): Promise<void> {
  const current = await deps.stores.users.findById(id);
  authorize(actor.user, 'users.delete', current ?? unknownAccount(id));
  if (!current) throw noSuchUser();
  await deps.transact(async (stores) => {
    const admins = await stores.users.lockActiveAdmins();
    const target = await stores.users.findByIdForUpdate(id);
    if (!target) throw noSuchUser();
    const me = await currentActor(stores, actor);
    authorize(me, 'users.delete', target);
    assertNotLastAdmin(admins, target.id, 'delete');
    await stores.users.delete(target.id);
    await stores.audit.record({
      ...by(me.id, request),
      action: 'users.delete',
      targetId: target.id,
      metadata: { email: target.email, role: target.role },
    });
  });
}

/** The caller changes their own name and/or email. Any other key in the input is ignored. */
export async function updateMe(
  deps: Deps,
  request: RequestInfo,
  actor: Actor,
  input: UpdateMeInput,
): Promise<User> {
  authorize(actor.user, 'users.updateMe');
  return mapEmailTaken(() =>
    deps.transact(async (stores) => {
      const me = await stores.users.findByIdForUpdate(actor.user.id);
      if (!me || me.disabledAt) throw notSignedIn();
      const plan = planChanges(me, { name: input.name, email: input.email });
      return toUser(await applyChanges(deps, stores, request, me, me, plan));
    }),
  );
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
  try {
    await assertCurrentPassword(deps, actor, input.password, 'password');
  } catch (error) {
    await deps.transact(async (stores) => {
      await stores.users.recordLoginFailure(actor.user.id);
      await stores.audit.record({
        ...by(actor.user.id, request),
        action: 'users.deleteMe.failure',
        targetId: actor.user.id,
      });
    });
    throw error;
  }
  await deps.transact(async (stores) => {
    const admins = await stores.users.lockActiveAdmins();
    const me = await stores.users.findByIdForUpdate(actor.user.id);
    if (!me) throw notSignedIn();
    if (admins.includes(me.id) && admins.length <= 1)
      throw apiError(
        'CONFLICT',
        'last_admin',
        'You are the last enabled admin; make another user an admin before deleting your account',
      );
    await stores.users.delete(me.id);
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
  email?: string;
  role?: Role;
  disabled?: boolean;
}

function planChanges(
  target: UserRecord,
  fields: {
    name?: string | undefined;
    email?: string | undefined;
    role?: Role | undefined;
    disabled?: boolean | undefined;
  },
): Plan {
  const plan: Plan = {};
  if (fields.name !== undefined && fields.name !== target.name) plan.name = fields.name;
  if (fields.email !== undefined && fields.email !== target.email) plan.email = fields.email;
  if (fields.role !== undefined && fields.role !== target.role) plan.role = fields.role;
  if (fields.disabled !== undefined && fields.disabled !== (target.disabledAt !== null))
    plan.disabled = fields.disabled;
  return plan;
}

/** Every permission a plan needs, beyond the right to update the account at all. */
function authorizeChanges(actor: UserRecord, target: UserRecord, plan: Plan): void {
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
    throw apiError(
      'CONFLICT',
      'last_admin',
      `This is the last enabled admin; make another user an admin before you ${verb} this one`,
    );
}

/** Writes a plan, queues what it implies and records it in the audit log, all in `stores`' transaction. */
async function applyChanges(
  deps: Deps,
  stores: Stores,
  request: RequestInfo,
  actor: UserRecord,
  target: UserRecord,
  plan: Plan,
): Promise<UserRecord> {
  const now = deps.clock.now();
  const changes: UserChanges = {};
  if (plan.name !== undefined) changes.name = plan.name;
  // A new address is unverified until its owner follows the link we send to it.
  if (plan.email !== undefined) Object.assign(changes, { email: plan.email, emailVerifiedAt: null });
  if (plan.role !== undefined) changes.role = plan.role;
  if (plan.disabled !== undefined) changes.disabledAt = plan.disabled ? now : null;
  if (Object.keys(changes).length === 0) return target;

  const updated = await stores.users.update(target.id, changes);
  if (!updated) throw noSuchUser();
  if (plan.email !== undefined) await queueEmailVerification(deps, stores, updated);
  // The disabled check on every request already locks the user out; ending the sessions
  // too means re-enabling the account does not bring old devices back.
  if (plan.disabled === true) await stores.sessions.revokeAllForUser(target.id, now);

  const self = actor.id === target.id;
  const event = { ...by(actor.id, request), targetId: target.id };
  if (plan.name !== undefined || plan.email !== undefined) {
    const diff: Record<string, { from: string; to: string }> = {};
    if (plan.name !== undefined) diff.name = { from: target.name, to: plan.name };
    if (plan.email !== undefined) diff.email = { from: target.email, to: plan.email };
    await stores.audit.record({ ...event, action: 'users.update', metadata: { changes: diff, self } });
  }
  if (plan.role !== undefined)
    await stores.audit.record({
      ...event,
      action: 'users.role.change',
      metadata: { from: target.role, to: plan.role },
    });
  if (plan.disabled !== undefined)
    await stores.audit.record({ ...event, action: plan.disabled ? 'users.disable' : 'users.enable' });
  return updated;
}

/** The caller as the database has them now, inside the transaction: roles may have changed. */
async function currentActor(stores: Stores, actor: Actor): Promise<UserRecord> {
  const me = await stores.users.findById(actor.user.id);
  if (!me || me.disabledAt) throw notSignedIn();
  return me;
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

const noSuchUser = () => notFound('No user with this id', 'user_not_found');

const staleUpdate = () =>
  apiError(
    'CONFLICT',
    'stale_update',
    'This user was changed after you loaded it (updatedAt differs); reload and try again',
  );

async function mapEmailTaken<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof EmailTakenError) throw emailTaken();
    throw error;
  }
}
