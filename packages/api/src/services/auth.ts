import type { RequestInfo } from '../context.js';
import {
  emailTaken,
  passwordRefused,
  apiError,
  invalidCredentials,
  invalidRefreshToken,
  tooManyAttempts,
} from '../errors.js';
import { passwordProblem } from '../password-policy.js';
import { EmailTakenError, OverloadedError, type Deps, type LiveSession } from '../ports/index.js';
import type { AuthResult, LoginInput, LoginResult, RegisterInput } from '../schemas/auth.js';
import { email as emailRule } from '../schemas/common.js';
import { hashToken, newOpaqueToken } from '../secrets.js';
import { emit } from './events.js';
import { queueEmailVerification } from './mail-flows.js';
import { startMfaChallenge } from './mfa-challenges.js';
import { authResult, MAX_REFRESH_ROTATIONS, newSession, startSession } from './sessions.js';

/** Refuses a password the policy forbids, naming the reason on the given field. */
export async function assertPasswordAllowed(deps: Deps, field: string, password: string, email?: string) {
  const problem = await passwordProblem(password, { minLength: deps.settings.passwordMinLength }, email);
  if (problem) throw passwordRefused(field, problem);
}

/** Creates an account with role `user` and signs it in. */
export async function register(deps: Deps, request: RequestInfo, input: RegisterInput): Promise<AuthResult> {
  if (!deps.settings.registrationOpen) throw apiError('FORBIDDEN', 'registration_closed');
  await assertPasswordAllowed(deps, 'password', input.password, input.email);
  // Cheap early answer for the common case; the unique index settles races.
  if (await deps.stores.users.findByEmail(input.email)) throw emailTaken();
  const passwordHash = await deps.hasher.hash(input.password);
  try {
    return await deps.transact(async (stores) => {
      const user = await stores.users.insert({
        email: input.email,
        name: input.name,
        passwordHash,
        role: 'user',
        locale: input.locale ?? request.locale,
      });
      await queueEmailVerification(deps, stores, user);
      await emit(deps, stores, 'user.created', user);
      await stores.audit.record({
        actorId: user.id,
        action: 'auth.register',
        targetId: user.id,
        ip: request.ip,
        userAgent: request.userAgent,
      });
      // Registering signs in, so it counts as the first sign-in.
      const signedIn = await stores.users.recordLoginSuccess(user.id, deps.clock.now());
      return startSession(deps, stores, signedIn, request);
    });
  } catch (error) {
    if (error instanceof EmailTakenError) throw emailTaken();
    throw error;
  }
}

/**
 * Signs in with email and password. Every failure gives the same answer, and an unknown
 * email still costs one argon2 verify (against a dummy hash) so timing does not tell. An
 * account with a second factor gets a challenge to answer (auth.verifyMfa) instead of tokens.
 */
export async function login(deps: Deps, request: RequestInfo, input: LoginInput): Promise<LoginResult> {
  // The one email rule every account was created under: what fails it (NUL, which PostgreSQL
  // cannot even compare, lone surrogates, 1,000 characters of noise) belongs to no account, so
  // it is a failed sign-in at once — no counter key for a client to invent, no lookup, no
  // argon2 (the per-address count and the timing floor still apply to this 401).
  const parsed = emailRule.safeParse(input.email);
  if (!parsed.success) throw invalidCredentials();
  const email = parsed.data;
  await reserveLoginAttempt(deps, request, email);
  const user = await deps.stores.users.findByEmail(email);
  const passwordOk = await checkCountedPassword(deps, email, async () =>
    deps.hasher.verify(user?.passwordHash ?? (await dummyHash(deps)), input.password),
  );
  if (!user || !user.passwordHash || !passwordOk || user.disabledAt) {
    await deps.transact(async (stores) => {
      if (user) await stores.users.recordLoginFailure(user.id);
      await stores.audit.record({
        actorId: null,
        action: 'auth.login.failure',
        targetId: user?.id ?? null,
        ip: request.ip,
        userAgent: request.userAgent,
      });
    });
    throw invalidCredentials();
  }
  const rehash = deps.hasher.needsRehash(user.passwordHash)
    ? await deps.hasher.hash(input.password)
    : undefined;
  if (user.mfaEnabled) {
    // Half a sign-in: the count of attempts stays until the second factor is answered, so
    // a known password cannot be used to clear it between guesses at the codes.
    if (rehash) await deps.stores.users.setPasswordHash(user.id, rehash);
    return startMfaChallenge(deps, request, user);
  }
  await deps.throttle.reset(loginThrottleKey(email));
  const { session, refreshToken } = newSession(deps, user.id, request);
  const event = {
    actorId: user.id,
    action: 'auth.login',
    targetId: user.id,
    ip: request.ip,
    userAgent: request.userAgent,
  };
  // Without a rehash the sign-in's writes are one statement (atomic on its own), so the
  // common path pays for no transaction around it.
  const signedIn = rehash
    ? await deps.transact(async (stores) => {
        await stores.users.setPasswordHash(user.id, rehash);
        return stores.sessions.signIn(session, deps.clock.now(), event);
      })
    : await deps.stores.sessions.signIn(session, deps.clock.now(), event);
  // Deleted between the password check and now: as if the account had never been there.
  if (!signedIn) throw invalidCredentials();
  return authResult(deps, signedIn.user, signedIn.session.id, refreshToken);
}

/** Throttle key for sign-ins to one email, whether or not an account has it (no enumeration). */
export const loginThrottleKey = (email: string) => `login:account:${email}`;

/**
 * Counts a password check (sign-in, or the current password before a sensitive change)
 * before it is made, so a burst of parallel guesses cannot all pass a check made before any
 * of them is counted; over the limit even a right password gets 429. A success resets the count.
 */
export async function reserveLoginAttempt(deps: Deps, request: RequestInfo, email: string): Promise<void> {
  const { loginMaxAttempts, loginWindowSeconds } = deps.settings;
  const { count, resetInSeconds } = await deps.throttle.hit(loginThrottleKey(email), loginWindowSeconds);
  if (count <= loginMaxAttempts) return;
  request.setHeader('Retry-After', String(resetInSeconds));
  throw tooManyAttempts(resetInSeconds);
}

/**
 * Rotates a refresh token. Every token ever issued for a session stays known (its family),
 * so presenting any one that is not the current token revokes the session — with one
 * exception: the successor of a token is derived from it (see RefreshTokenDeriver), so two
 * tabs presenting the token just rotated, within the grace period, both receive the same
 * current one.
 */
export async function refresh(deps: Deps, request: RequestInfo, presented: string): Promise<AuthResult> {
  const presentedHash = hashToken(presented);
  const now = deps.clock.now();
  let session = await deps.stores.sessions.findByTokenHash(presentedHash);
  if (!session || session.revokedAt || session.expiresAt <= now) throw invalidRefreshToken();

  const { id: sessionId, userId } = session;
  const successor = deps.refreshTokens.successor(sessionId, presentedHash);
  const successorHash = hashToken(successor);
  /** The session and its user after the rotation, when this request made it. */
  let live: LiveSession | undefined;
  if (session.refreshTokenHash === presentedHash) {
    if (session.rotations >= MAX_REFRESH_ROTATIONS) {
      await endSession(deps, request, sessionId, userId, now, 'auth.refresh.limit');
      throw invalidRefreshToken();
    }
    live = await deps.stores.sessions.rotate(sessionId, presentedHash, successorHash, now);
    if (!live) {
      // Another request rotated this token a moment ago: it took the same successor.
      session = await deps.stores.sessions.findByTokenHash(presentedHash);
      if (!session || session.revokedAt || session.refreshTokenHash !== successorHash)
        throw invalidRefreshToken();
    }
  } else {
    // An older member of the family. Only the token rotated last, within the grace period,
    // is honoured, and only with the successor it already received.
    const rotatedAgoMs = now.getTime() - (session.rotatedAt?.getTime() ?? 0);
    const withinGrace = rotatedAgoMs <= deps.settings.refreshReuseGraceSeconds * 1000;
    if (!withinGrace || session.refreshTokenHash !== successorHash) {
      await endSession(deps, request, sessionId, userId, now, 'auth.refresh.reuse');
      throw invalidRefreshToken();
    }
  }
  live ??= await deps.stores.sessions.findLive(sessionId, now);
  if (!live || live.user.disabledAt) throw invalidRefreshToken();
  return authResult(deps, live.user, sessionId, successor);
}

/**
 * Ends a session at a refresh, audited: `auth.refresh.reuse` when a rotated token came back
 * after the grace period (someone holds a stolen copy), `auth.refresh.limit` when the session
 * reached MAX_REFRESH_ROTATIONS (its owner signs in again).
 */
async function endSession(
  deps: Deps,
  request: RequestInfo,
  sessionId: string,
  userId: string,
  now: Date,
  action: 'auth.refresh.reuse' | 'auth.refresh.limit',
): Promise<void> {
  await deps.transact(async (stores) => {
    await stores.sessions.revoke(sessionId, now);
    const user = await stores.users.findById(userId);
    if (user) await emit(deps, stores, 'session.revoked', user, { sessionId });
    await stores.audit.record({
      actorId: null,
      action,
      targetId: userId,
      ip: request.ip,
      userAgent: request.userAgent,
      metadata: { sessionId },
    });
  });
}

/** Ends the session a refresh token belongs to. Unknown tokens are fine: the answer is the same. */
export async function logout(deps: Deps, request: RequestInfo, presented: string): Promise<void> {
  const session = await deps.stores.sessions.findByTokenHash(hashToken(presented));
  if (!session || session.revokedAt) return;
  await deps.transact(async (stores) => {
    await stores.sessions.revoke(session.id, deps.clock.now());
    const user = await stores.users.findById(session.userId);
    if (user) await emit(deps, stores, 'session.revoked', user, { sessionId: session.id });
    await stores.audit.record({
      actorId: session.userId,
      action: 'auth.logout',
      targetId: session.userId,
      ip: request.ip,
      userAgent: request.userAgent,
    });
  });
}

/**
 * Runs a password check whose attempt reserveLoginAttempt counted. An overloaded hasher
 * (OverloadedError, answered 503) checked nothing, so the attempt is given back: waiting
 * out a flood must not lock the owner out of the account.
 */
export async function checkCountedPassword(
  deps: Deps,
  email: string,
  check: () => Promise<boolean>,
): Promise<boolean> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof OverloadedError) await deps.throttle.giveBack(loginThrottleKey(email));
    throw error;
  }
}

const dummyHashes = new WeakMap<Deps['hasher'], Promise<string>>();

/** A hash of a random password made with the live parameters, computed once per hasher. */
function dummyHash(deps: Deps): Promise<string> {
  let hash = dummyHashes.get(deps.hasher);
  if (!hash) {
    hash = deps.hasher.hash(newOpaqueToken());
    dummyHashes.set(deps.hasher, hash);
    // A refused first hash (a full line) must not be remembered as the answer forever.
    hash.catch(() => dummyHashes.delete(deps.hasher));
  }
  return hash;
}
