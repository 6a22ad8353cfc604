import type { Actor, RequestInfo } from '../context.js';
import { fieldError, tooManyAttempts, unusableLink } from '../errors.js';
import { passwordChangedMail } from '../mail/templates.js';
import type { Deps, OneTimePurpose, Stores, UserRecord } from '../ports/index.js';
import type { AuthResult } from '../schemas/auth.js';
import { hashToken } from '../secrets.js';
import { assertPasswordAllowed, loginThrottleKey } from './auth.js';
import { queuePasswordReset } from './mail-flows.js';
import { startSession } from './sessions.js';

/** Links that set a password: a reset, or the first password of an invited account. */
const SETS_PASSWORD: readonly OneTimePurpose[] = ['password_reset', 'invite'];

/**
 * Queues a reset mail for a known, enabled account. The answer never depends on whether the
 * email is known, and the request only writes rows: nothing waits on SMTP. Every request is
 * audited, known or not, which also keeps the two paths' work (and timing) alike.
 */
export async function requestPasswordReset(deps: Deps, request: RequestInfo, email: string): Promise<void> {
  const user = await deps.stores.users.findByEmail(email);
  const eligible = user && !user.disabledAt ? user : undefined;
  await deps.transact(async (stores) => {
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
 * changes the password, so of two racing redemptions exactly one succeeds. No sign-in follows.
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
  const user = await deps.stores.users.findById(owner);
  if (!user) throw unusableLink('unknown');
  assertPasswordAllowed(deps, 'password', input.password, user.email);
  const passwordHash = await deps.hasher.hash(input.password);

  await deps.transact(async (stores) => {
    const spent = await stores.oneTimeTokens.consume(tokenHash, SETS_PASSWORD, now);
    if (isRefusal(spent)) throw unusableLink(spent);
    await stores.users.setPasswordHash(user.id, passwordHash);
    await stores.users.clearLoginFailures(user.id);
    // Following an emailed link proves the address, so an invite also verifies it.
    if (spent.purpose === 'invite') await stores.users.markEmailVerified(user.id, user.email, now);
    await afterPasswordChange(
      deps,
      stores,
      user,
      request,
      spent.purpose === 'invite' ? 'auth.invite.accept' : 'auth.password_reset',
    );
  });
  // A locked-out owner who proved control of the mailbox may sign in again at once.
  await deps.throttle.reset(loginThrottleKey(user.email));
}

/** Changes the password of the signed-in user; every session ends and this device gets a new one. */
export async function changePassword(
  deps: Deps,
  actor: Actor,
  request: RequestInfo,
  input: { currentPassword: string; newPassword: string },
): Promise<AuthResult> {
  const { user } = actor;
  await assertCurrentPassword(deps, actor, input.currentPassword, 'currentPassword');
  assertPasswordAllowed(deps, 'newPassword', input.newPassword, user.email);
  if (input.newPassword === input.currentPassword)
    throw fieldError('newPassword', 'New password must differ from the current one', 'password_unchanged');
  const passwordHash = await deps.hasher.hash(input.newPassword);
  return deps.transact(async (stores) => {
    await stores.users.setPasswordHash(user.id, passwordHash);
    await afterPasswordChange(deps, stores, user, request, 'auth.password_change');
    const fresh = await stores.users.findById(user.id);
    return startSession(deps, stores, fresh ?? user, request);
  });
}

/** What every password change does: revoke sessions and outstanding links, notify, audit. */
async function afterPasswordChange(
  deps: Deps,
  stores: Stores,
  user: UserRecord,
  request: RequestInfo,
  action: string,
): Promise<void> {
  const now = deps.clock.now();
  await stores.sessions.revokeAllForUser(user.id, now);
  await stores.oneTimeTokens.revokeForUser(user.id, SETS_PASSWORD);
  if (action !== 'auth.invite.accept')
    await stores.outbox.enqueue(passwordChangedMail(user.email, deps.settings.publicUrl));
  await stores.audit.record({
    actorId: user.id,
    action,
    targetId: user.id,
    ip: request.ip,
    userAgent: request.userAgent,
  });
}

/**
 * Checks the signed-in user's password (change password, delete account). Wrong guesses
 * count against the same per-account limit as sign-ins, so a stolen access token cannot
 * be used to guess the password without limit.
 */
export async function assertCurrentPassword(
  deps: Deps,
  actor: Actor,
  password: string,
  field: string,
): Promise<void> {
  const { user } = actor;
  const ok = user.passwordHash !== null && (await deps.hasher.verify(user.passwordHash, password));
  if (ok) return;
  const { loginMaxAttempts, loginWindowSeconds } = deps.settings;
  const { count, resetInSeconds } = await deps.throttle.hit(loginThrottleKey(user.email), loginWindowSeconds);
  if (count > loginMaxAttempts) throw tooManyAttempts(resetInSeconds);
  throw fieldError(field, 'The password is not correct', 'wrong_password');
}

function isRefusal<T>(value: T | 'unknown' | 'used' | 'expired'): value is 'unknown' | 'used' | 'expired' {
  return value === 'unknown' || value === 'used' || value === 'expired';
}
