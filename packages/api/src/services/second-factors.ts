import type { Actor, RequestInfo } from '../context.js';
import {
  apiError,
  fieldError,
  invalidMfaCode,
  invalidMfaToken,
  invalidPasskey,
  notSignedIn,
} from '../errors.js';
import type { Deps, LiveSession, Stores, UserRecord } from '../ports/index.js';
import type { AuthResult } from '../schemas/auth.js';
import type { MfaMethod, MfaStatus, RecoveryCodes, TotpSetup, VerifyMfaInput } from '../schemas/mfa.js';
import { hashToken } from '../secrets.js';
import { loginThrottleKey, reserveLoginAttempt } from './auth.js';
import { queueSecondFactorNotice } from './mail-flows.js';
import { checkAssertion, toPasskeyView, type CheckedAssertion } from './passkeys.js';
import { assertCurrentPassword } from './passwords.js';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.js';
import { afterFactorRemoved } from './second-factor-state.js';
import { authResult, newSession } from './sessions.js';
import { usableChallenge as usable } from './mfa-challenges.js';
import { looksLikeTotp, newTotpSecret, otpauthUrl, totpStep } from './totp.js';

type Outcome =
  { kind: 'token' } | { kind: 'wrong' } | { kind: 'signed-in'; signedIn: LiveSession; refreshToken: string };

/**
 * Finishes a sign-in with a TOTP code, a recovery code or a passkey. Each answer counts, before
 * it is checked, against the account's sign-in attempts (LOGIN_MAX_ATTEMPTS, as a password
 * does), and a wrong one against the token's 5. The token is spent in the transaction that
 * opens the session, under the challenge's row lock: of two requests with one token, one
 * gets a session.
 */
export async function verifyMfa(
  deps: Deps,
  request: RequestInfo,
  input: VerifyMfaInput,
): Promise<AuthResult> {
  const tokenHash = hashToken(input.mfaToken);
  const now = deps.clock.now();
  const challenge = await deps.stores.secondFactors.findChallenge(tokenHash);
  if (!usable(challenge, now)) throw invalidMfaToken();
  const user = await deps.stores.users.findById(challenge.userId);
  if (!user || user.disabledAt) throw invalidMfaToken();
  await reserveLoginAttempt(deps, request, user.email);
  // The assertion is checked (and its WebAuthn challenge spent) before the transaction: it
  // is CPU work and the library's, and needs no lock.
  const assertion = input.passkey ? await checkAssertion(deps, input.passkey, user.id) : undefined;

  const outcome = await deps.transact(async (stores): Promise<Outcome> => {
    const locked = await stores.users.findByIdForUpdate(user.id);
    const current = await stores.secondFactors.findChallengeForUpdate(tokenHash);
    if (!locked || locked.disabledAt || !usable(current, now) || current.userId !== locked.id)
      return { kind: 'token' };
    const method = await answer(deps, stores, locked, input, assertion, now);
    if (!method.ok) {
      const wrongCodes = await stores.secondFactors.recordChallengeFailure(current.id);
      await stores.users.recordLoginFailure(locked.id);
      await stores.audit.record({
        actorId: null,
        action: 'auth.mfa.failure',
        targetId: locked.id,
        ip: request.ip,
        userAgent: request.userAgent,
        metadata: { method: method.tried, wrongCodes, ...(method.detail && { detail: method.detail }) },
      });
      return { kind: 'wrong' };
    }
    await stores.secondFactors.spendChallenge(current.id, now);
    if (method.used === 'recovery_code') {
      const left = await stores.secondFactors.countRecoveryCodes(locked.id);
      await stores.audit.record({
        actorId: locked.id,
        action: 'auth.mfa.recovery_code_used',
        targetId: locked.id,
        ip: request.ip,
        userAgent: request.userAgent,
        metadata: { left },
      });
      await queueSecondFactorNotice(deps, stores, locked, { kind: 'recovery_code_used', left });
    }
    const { session, refreshToken } = newSession(deps, locked.id, request);
    const signedIn = await stores.sessions.signIn(session, now, {
      actorId: locked.id,
      action: 'auth.login',
      targetId: locked.id,
      ip: request.ip,
      userAgent: request.userAgent,
      metadata: { mfa: method.used },
    });
    return signedIn ? { kind: 'signed-in', signedIn, refreshToken } : { kind: 'token' };
  });
  if (outcome.kind === 'token') throw invalidMfaToken();
  if (outcome.kind === 'wrong') throw input.passkey ? invalidPasskey() : invalidMfaCode();
  const { signedIn, refreshToken } = outcome;
  await deps.throttle.reset(loginThrottleKey(signedIn.user.email));
  return authResult(deps, signedIn.user, signedIn.session.id, refreshToken);
}

type Answer = { ok: true; used: MfaMethod } | { ok: false; tried: MfaMethod; detail?: string };

/** Checks one answer to a challenge and spends what it used (a TOTP step, a recovery code, a counter). */
async function answer(
  deps: Deps,
  stores: Stores,
  user: UserRecord,
  input: VerifyMfaInput,
  assertion: CheckedAssertion | undefined,
  now: Date,
): Promise<Answer> {
  if (assertion) {
    if (!assertion.ok) return { ok: false, tried: 'passkey', detail: assertion.detail ?? assertion.reason };
    const recorded = await stores.passkeys.recordUse(assertion.passkey.id, {
      fromCounter: assertion.passkey.counter,
      counter: assertion.counter,
      backedUp: assertion.backedUp,
      at: now,
    });
    return recorded ? { ok: true, used: 'passkey' } : { ok: false, tried: 'passkey', detail: 'counter' };
  }
  const code = input.code ?? '';
  if (looksLikeTotp(code)) {
    const totp = await stores.secondFactors.findTotp(user.id);
    const step = totp?.confirmedAt ? totpStep(totp.secret, code, now) : undefined;
    // A right code of a step already used is a replay: refused like a wrong one.
    const spent = step !== undefined && (await stores.secondFactors.spendTotpStep(user.id, step));
    return spent ? { ok: true, used: 'totp' } : { ok: false, tried: 'totp' };
  }
  const spent = await stores.secondFactors.spendRecoveryCode(user.id, hashRecoveryCode(code), now);
  return spent ? { ok: true, used: 'recovery_code' } : { ok: false, tried: 'recovery_code' };
}

/** The caller's second factors. */
export async function mfaStatus(deps: Deps, actor: Actor): Promise<MfaStatus> {
  const userId = actor.user.id;
  const [totp, recoveryCodesLeft, passkeys] = await Promise.all([
    deps.stores.secondFactors.findTotp(userId),
    deps.stores.secondFactors.countRecoveryCodes(userId),
    deps.stores.passkeys.listForUser(userId),
  ]);
  return { totp: Boolean(totp?.confirmedAt), recoveryCodesLeft, passkeys: passkeys.map(toPasskeyView) };
}

/**
 * Starts setting up an authenticator app: a new secret, inactive until a code from it is
 * confirmed. The password is checked first, counted like a sign-in (assertCurrentPassword).
 */
export async function totpSetup(
  deps: Deps,
  request: RequestInfo,
  actor: Actor,
  currentPassword: string,
): Promise<TotpSetup> {
  await assertCurrentPassword(deps, request, actor, {
    password: currentPassword,
    field: 'currentPassword',
    action: 'mfa.totp_setup',
  });
  const secret = newTotpSecret();
  if (!(await deps.stores.secondFactors.savePendingTotp(actor.user.id, secret)))
    throw apiError('CONFLICT', 'totp_already_enabled');
  return { secret, otpauthUrl: otpauthUrl(actor.user.email, secret) };
}

/**
 * Turns the pending authenticator app on with a first code from it (that code's step is
 * spent), and hands out a new set of 10 recovery codes, replacing any earlier set.
 */
export async function totpConfirm(
  deps: Deps,
  request: RequestInfo,
  actor: Actor,
  code: string,
): Promise<RecoveryCodes> {
  const now = deps.clock.now();
  return deps.transact(async (stores) => {
    const me = await lockMe(stores, actor);
    const totp = await stores.secondFactors.findTotp(me.id);
    if (!totp || totp.confirmedAt)
      throw apiError('CONFLICT', totp ? 'totp_already_enabled' : 'totp_not_pending');
    const step = totpStep(totp.secret, code, now);
    if (step === undefined) throw fieldError('code', 'invalid_mfa_code');
    await stores.secondFactors.confirmTotp(me.id, step, now);
    const recoveryCodes = await replaceRecoveryCodes(stores, me.id);
    await stores.secondFactors.refreshMfaEnabled(me.id);
    await stores.audit.record({ ...by(me, request), action: 'mfa.totp.enable' });
    await queueSecondFactorNotice(deps, stores, me, { kind: 'totp_enabled' });
    return { recoveryCodes };
  });
}

/** Turns the authenticator app off (or drops one still being set up). */
export async function totpDisable(
  deps: Deps,
  request: RequestInfo,
  actor: Actor,
  currentPassword: string,
): Promise<void> {
  await assertCurrentPassword(deps, request, actor, {
    password: currentPassword,
    field: 'currentPassword',
    action: 'mfa.totp_disable',
  });
  await deps.transact(async (stores) => {
    const me = await lockMe(stores, actor);
    const totp = await stores.secondFactors.findTotp(me.id);
    if (!totp) throw apiError('CONFLICT', 'totp_not_enabled');
    await stores.secondFactors.deleteTotp(me.id);
    if (!totp.confirmedAt) return;
    await afterFactorRemoved(stores, me.id);
    await stores.audit.record({ ...by(me, request), action: 'mfa.totp.disable' });
    await queueSecondFactorNotice(deps, stores, me, { kind: 'totp_disabled' });
  });
}

/** A new set of 10 recovery codes; the old ones stop working. Needs a second factor to back up. */
export async function regenerateRecoveryCodes(
  deps: Deps,
  request: RequestInfo,
  actor: Actor,
  currentPassword: string,
): Promise<RecoveryCodes> {
  await assertCurrentPassword(deps, request, actor, {
    password: currentPassword,
    field: 'currentPassword',
    action: 'mfa.recovery_codes',
  });
  return deps.transact(async (stores) => {
    const me = await lockMe(stores, actor);
    if (!me.mfaEnabled) throw apiError('CONFLICT', 'mfa_not_enabled');
    const recoveryCodes = await replaceRecoveryCodes(stores, me.id);
    await stores.audit.record({ ...by(me, request), action: 'mfa.recovery_codes.regenerate' });
    await queueSecondFactorNotice(deps, stores, me, { kind: 'recovery_codes_regenerated' });
    return { recoveryCodes };
  });
}

async function replaceRecoveryCodes(stores: Stores, userId: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  await stores.secondFactors.replaceRecoveryCodes(userId, codes.map(hashRecoveryCode));
  return codes;
}

/** The caller's row, locked (every change to factors runs under it), still enabled. */
async function lockMe(stores: Stores, actor: Actor): Promise<UserRecord> {
  const me = await stores.users.findByIdForUpdate(actor.user.id);
  if (!me || me.disabledAt) throw notSignedIn();
  return me;
}

/** An audit event's who and where, for a change the owner makes to their own account. */
function by(me: UserRecord, request: RequestInfo) {
  return { actorId: me.id, targetId: me.id, ip: request.ip, userAgent: request.userAgent };
}
