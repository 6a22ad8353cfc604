import type { Actor, RequestInfo } from '../context.js';
import { fieldError, notSignedIn, unusableLink } from '../errors.js';
import { composeMail } from '../mail/templates.js';
import type { Deps, OneTimePurpose, Stores, UserRecord } from '../ports/index.js';
import type { AuthResult } from '../schemas/auth.js';
import { hashToken } from '../secrets.js';
import {
  assertPasswordAllowed,
  checkCountedPassword,
  loginThrottleKey,
  reserveLoginAttempt,
} from './auth.js';
import { isRefusal, linkStillBelongs, queuePasswordReset } from './mail-flows.js';
import { emit } from './events.js';
import { startSession } from './sessions.js';

/** Links that set a password: a reset, or the first password of an invited account. */
const SETS_PASSWORD: readonly OneTimePurpose[] = ['password_reset', 'invite'];

/**
 * Links a new password cancels: resets, invites and a pending email change (whoever asked
 * for that change knew the old password). A verification link of the current address stays.
 */
const ENDED_BY_PASSWORD_CHANGE: readonly OneTimePurpose[] = ['password_reset', 'invite', 'email_change'];

/**
 * Queues a reset mail for a known, enabled account. The answer never depends on whether the
 * email is known, and the request only writes rows: nothing waits on SMTP. Every request is
 * audited, known or not, which also keeps the two paths' work (and timing) alike.
 */
export async function requestPasswordReset(deps: Deps, request: RequestInfo, email: string): Promise<void> {
  const user = await deps.stores.users.findByEmail(email);
  await deps.transact(async (stores) => {
    // The user's row first (lock order), then its links; re-read under the lock.
    const locked = user && (await stores.users.findByIdForUpdate(user.id));
    const eligible = locked && !locked.disabledAt && locked.email === email ? locked : undefined;
    if (eligible) await queuePasswordReset(deps, stores, eligible);
    await stores.audit.record({
      actorId: null,
      action: 'auth.password_reset.request',
      targetId: eligible?.id ?? null,
      ip: request.ip,
      userAgent: request.userAgent,
      metadata: { known: eligible !== undefined },
    });
  });
}

/**
 * Sets a new password from an emailed link. The link is spent in the same transaction that
 * changes the password, so of two racing redemptions exactly one succeeds. A link mailed to
 * an address the account no longer has is refused. No sign-in follows.
 */
export async function resetPassword(
  deps: Deps,
  request: RequestInfo,
  input: { token: string; password: string },
): Promise<void> {
  const tokenHash = hashToken(input.token);
  const now = deps.clock.now();
  const owner = await deps.stores.oneTimeTokens.peek(tokenHash, SETS_PASSWORD, now);
  if (isRefusal(owner)) throw unusableLink(owner);
  const user = await deps.stores.users.findById(owner.userId);
  if (!user || user.disabledAt || !linkStillBelongs(user, owner)) throw unusableLink('unknown');
  await assertPasswordAllowed(deps, 'password', input.password, user.email);
  const passwordHash = await deps.hasher.hash(input.password);

  const email = await deps.transact(async (stores) => {
    // The user's row before the link (lock order); the checks above are repeated on it.
    const locked = await stores.users.findByIdForUpdate(owner.userId);
    const spent = await stores.oneTimeTokens.consume(tokenHash, SETS_PASSWORD, now);
    if (isRefusal(spent)) throw unusableLink(spent);
    if (!locked || locked.disabledAt || !linkStillBelongs(locked, spent)) throw unusableLink('unknown');
    await stores.users.setPasswordHash(locked.id, passwordHash);
    await stores.users.clearLoginFailures(locked.id);
    // Following an emailed link proves the address, so an invite also verifies it.
    if (spent.purpose === 'invite') await stores.users.markEmailVerified(locked.id, locked.email, now);
    await afterPasswordChange(
      deps,
      stores,
      locked,
      request,
      spent.purpose === 'invite' ? 'auth.invite.accept' : 'auth.password_reset',
    );
    return locked.email;
  });
  // A locked-out owner who proved control of the mailbox may sign in again at once.
  await deps.throttle.reset(loginThrottleKey(email));
}

/** Changes the password of the signed-in user; every session ends and this device gets a new one. */
export async function changePassword(
  deps: Deps,
  actor: Actor,
  request: RequestInfo,
  input: { currentPassword: string; newPassword: string },
): Promise<AuthResult> {
  const { user } = actor;
  await assertCurrentPassword(deps, request, actor, {
    password: input.currentPassword,
    field: 'currentPassword',
    action: 'auth.password_change',
  });
  await assertPasswordAllowed(deps, 'newPassword', input.newPassword, user.email);
  if (input.newPassword === input.currentPassword) throw fieldError('newPassword', 'password_unchanged');
  const passwordHash = await deps.hasher.hash(input.newPassword);
  return deps.transact(async (stores) => {
    const me = await stores.users.findByIdForUpdate(user.id);
    if (!me || me.disabledAt) throw notSignedIn();
    await stores.users.setPasswordHash(me.id, passwordHash);
    await afterPasswordChange(deps, stores, me, request, 'auth.password_change');
    const fresh = await stores.users.findById(me.id);
    return startSession(deps, stores, fresh ?? me, request);
  });
}

/**
 * What every password change does: revoke sessions, outstanding links and any pending email
 * change, notify, audit. Runs under the user's row lock.
 */
async function afterPasswordChange(
  deps: Deps,
  stores: Stores,
  user: UserRecord,
  request: RequestInfo,
  action: string,
): Promise<void> {
  const now = deps.clock.now();
  const sessionsEnded = await stores.sessions.revokeAllForUser(user.id, now);
  await stores.oneTimeTokens.revokeForUser(user.id, ENDED_BY_PASSWORD_CHANGE);
  if (user.pendingEmail !== null) await stores.users.update(user.id, { pendingEmail: null });
  // As other services will see the account now (an invite also verified its address).
  const after = (await stores.users.findById(user.id)) ?? user;
  if (action === 'auth.invite.accept') await emit(deps, stores, 'user.email_verified', after);
  await emit(deps, stores, 'user.password_changed', after);
  if (sessionsEnded > 0) await emit(deps, stores, 'session.revoked', after, { sessionId: null });
  if (action !== 'auth.invite.accept')
    await stores.outbox.enqueue(
      composeMail('passwordChanged', user.locale, { to: user.email, publicUrl: deps.settings.publicUrl }),
    );
  await stores.audit.record({
    actorId: user.id,
    action,
    targetId: user.id,
    ip: request.ip,
    userAgent: request.userAgent,
    ...(user.pendingEmail !== null && { metadata: { cancelledEmailChange: user.pendingEmail } }),
  });
}

/**
 * Checks the signed-in user's password before a sensitive change (change password, delete
 * account, change email). Every check is counted first, against the same per-account limit
 * as sign-ins, so parallel guesses with a stolen access token all count and, over the limit,
 * even the right password is refused (429). A wrong one is a BAD_REQUEST on `field`, counted
 * on the account and audited as `<action>.failure`; a right one clears the count, as a
 * sign-in does.
 */
export async function assertCurrentPassword(
  deps: Deps,
  request: RequestInfo,
  actor: Actor,
  check: { password: string; field: string; action: string },
): Promise<void> {
  const { user } = actor;
  await reserveLoginAttempt(deps, request, user.email);
  // Counted as a sign-in is, and given back the same way when the hasher refuses it
  // (overloaded, 503): the owner retrying through a flood keeps their attempts.
  const hash = user.passwordHash;
  const ok =
    hash !== null &&
    (await checkCountedPassword(deps, user.email, () => deps.hasher.verify(hash, check.password)));
  if (ok) {
    await deps.throttle.reset(loginThrottleKey(user.email));
    return;
  }
  await deps.transact(async (stores) => {
    await stores.users.recordLoginFailure(user.id);
    await stores.audit.record({
      actorId: user.id,
      action: `${check.action}.failure`,
      targetId: user.id,
      ip: request.ip,
      userAgent: request.userAgent,
    });
  });
  throw fieldError(check.field, 'wrong_password');
}
