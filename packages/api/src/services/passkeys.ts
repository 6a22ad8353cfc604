import type { Actor, RequestInfo } from '../context.js';
import {
  apiError,
  fieldError,
  invalidPasskey,
  notFound,
  notSignedIn,
  recentSignInRequired,
} from '../errors.js';
import { PasskeyTakenError, type Deps, type PasskeyRecord } from '../ports/index.js';
import type { AuthResult } from '../schemas/auth.js';
import type {
  AuthenticationResponse,
  Passkey,
  PasskeyCreationOptions,
  PasskeyRequestOptions,
  RegisterPasskeyInput,
} from '../schemas/passkeys.js';
import { loginThrottleKey } from './auth.js';
import { queueSecondFactorNotice } from './mail-flows.js';
import { afterFactorRemoved } from './second-factor-state.js';
import { authResult, newSession } from './sessions.js';

/** Challenges (and the browser's prompt) live 5 minutes (DESIGN.md). */
export const WEBAUTHN_CHALLENGE_TTL_SECONDS = 300;

const RP_NAME = 'Tessera';

/**
 * @simplewebauthn/server, loaded by the first passkey call rather than at start: its ASN.1
 * parsers for every attestation format cost ~300 ms of start-up and ~20 MB of memory on every
 * node, most of which never sees a passkey.
 */
let library: ReturnType<typeof loadWebauthn> | undefined;
const webauthn = () => (library ??= loadWebauthn());
const loadWebauthn = async () => {
  const [server, { decodeClientDataJSON }] = await Promise.all([
    import('@simplewebauthn/server'),
    import('@simplewebauthn/server/helpers'),
  ]);
  return { ...server, decodeClientDataJSON };
};

/** The relying party: its id is the host of PUBLIC_URL, the only origin accepted is PUBLIC_URL's. */
function relyingParty(deps: Deps): { rpID: string; origin: string } {
  const url = new URL(deps.settings.publicUrl);
  return { rpID: url.hostname, origin: url.origin };
}

const expiry = (deps: Deps) => new Date(deps.clock.now().getTime() + WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000);

/** A passkey as its owner sees it. */
export function toPasskeyView(record: PasskeyRecord): Passkey {
  return {
    id: record.id,
    name: record.name,
    createdAt: record.createdAt.toISOString(),
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
    backedUp: record.backedUp,
  };
}

/**
 * Options for a passkey sign-in. Passkeys here are discoverable (registration requires a
 * resident key), so no credential is listed and the answer is the same for every email, known
 * or not: it tells nothing. An email only binds the challenge: then just that account's
 * passkeys can answer it.
 */
export async function signInOptions(deps: Deps, email: string | undefined): Promise<PasskeyRequestOptions> {
  const { rpID } = relyingParty(deps);
  const { generateAuthenticationOptions } = await webauthn();
  const options = await generateAuthenticationOptions({
    rpID,
    userVerification: 'required',
    timeout: WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000,
  });
  await deps.stores.passkeys.createChallenge(
    {
      challenge: options.challenge,
      purpose: 'authentication',
      userId: null,
      email: email ?? null,
      expiresAt: expiry(deps),
    },
    deps.clock.now(),
  );
  return options;
}

/** Why an assertion was refused, for the audit log. */
type AssertionRefusal = 'challenge' | 'unknown_credential' | 'other_account' | 'signature';

export type CheckedAssertion =
  | { ok: true; passkey: PasskeyRecord; counter: number; backedUp: boolean }
  | { ok: false; reason: AssertionRefusal; passkey?: PasskeyRecord; detail?: string };

/**
 * Verifies a passkey's assertion: its challenge is one we handed out for a sign-in, unexpired,
 * and is spent now whatever the outcome (single use); the credential is registered (to
 * `userId`, when given, and to the email the challenge was asked for); the signature, origin,
 * relying party, user verification and counter hold (a counter that does not move forward
 * betrays a cloned authenticator). Nothing is written but the spent challenge: the caller
 * records the use (recordUse) with the sign-in.
 */
export async function checkAssertion(
  deps: Deps,
  response: AuthenticationResponse,
  userId?: string,
): Promise<CheckedAssertion> {
  const now = deps.clock.now();
  const challenge = await challengeOf(response.response.clientDataJSON);
  const issued =
    challenge === undefined
      ? undefined
      : await deps.stores.passkeys.consumeChallenge(challenge, 'authentication', now);
  if (!issued) return { ok: false, reason: 'challenge' };
  const passkey = await deps.stores.passkeys.findByCredentialId(response.id);
  if (!passkey) return { ok: false, reason: 'unknown_credential' };
  if (userId !== undefined && passkey.userId !== userId)
    return { ok: false, reason: 'other_account', passkey };
  if (issued.email !== null) {
    const owner = await deps.stores.users.findById(passkey.userId);
    if (owner?.email !== issued.email) return { ok: false, reason: 'other_account', passkey };
  }
  const { rpID, origin } = relyingParty(deps);
  try {
    const { verifyAuthenticationResponse } = await webauthn();
    const { verified, authenticationInfo } = await verifyAuthenticationResponse({
      response,
      expectedChallenge: issued.challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(passkey.publicKey),
        counter: passkey.counter,
        transports: passkey.transports,
      },
      requireUserVerification: true,
    });
    if (!verified) return { ok: false, reason: 'signature', passkey };
    return {
      ok: true,
      passkey,
      counter: authenticationInfo.newCounter,
      backedUp: authenticationInfo.credentialBackedUp,
    };
  } catch (error) {
    return {
      ok: false,
      reason: 'signature',
      passkey,
      detail: error instanceof Error ? error.message : undefined,
    };
  }
}

/** The challenge a response answers, read from its clientDataJSON; undefined when unreadable. */
async function challengeOf(clientDataJSON: string): Promise<string | undefined> {
  const { decodeClientDataJSON } = await webauthn();
  try {
    const { challenge } = decodeClientDataJSON(clientDataJSON);
    return typeof challenge === 'string' && challenge.length <= 512 ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/** Signs in with a passkey alone: it is both factors (possession, and the user verification it requires). */
export async function passkeyLogin(
  deps: Deps,
  request: RequestInfo,
  response: AuthenticationResponse,
): Promise<AuthResult> {
  const checked = await checkAssertion(deps, response);
  const user = checked.ok ? await deps.stores.users.findById(checked.passkey.userId) : undefined;
  if (!checked.ok || !user || user.disabledAt) {
    await deps.stores.audit.record({
      actorId: null,
      action: 'auth.passkey.failure',
      targetId: checked.passkey?.userId ?? null,
      ip: request.ip,
      userAgent: request.userAgent,
      metadata: checked.ok
        ? { reason: 'account', passkeyId: checked.passkey.id }
        : {
            reason: checked.reason,
            ...(checked.passkey && { passkeyId: checked.passkey.id }),
            ...(checked.detail && { detail: checked.detail }),
          },
    });
    throw invalidPasskey();
  }
  const now = deps.clock.now();
  const { session, refreshToken } = newSession(deps, user.id, request);
  const signedIn = await deps.transact(async (stores) => {
    const used = await stores.passkeys.recordUse(checked.passkey.id, {
      fromCounter: checked.passkey.counter,
      counter: checked.counter,
      backedUp: checked.backedUp,
      at: now,
    });
    if (!used) throw invalidPasskey();
    return stores.sessions.signIn(session, now, {
      actorId: user.id,
      action: 'auth.login',
      targetId: user.id,
      ip: request.ip,
      userAgent: request.userAgent,
      metadata: { method: 'passkey', passkeyId: checked.passkey.id },
    });
  });
  if (!signedIn) throw invalidPasskey();
  await deps.throttle.reset(loginThrottleKey(user.email));
  return authResult(deps, signedIn.user, signedIn.session.id, refreshToken);
}

/** Options to register a new passkey for the signed-in user: discoverable, with user verification. */
/**
 * How recent the caller's sign-in must be to add or remove a passkey. A passkey signs in on
 * its own, skipping password and second factor, and outlives a password change: a stolen
 * access token alone must not be enough to plant one (or strip one). The contract's input is
 * `{}`, so proof comes from the session: it was opened by a full sign-in a moment ago.
 */
export const RECENT_SIGN_IN_MINUTES = 10;

function requireRecentSignIn(deps: Deps, actor: Actor): void {
  const age = deps.clock.now().getTime() - actor.session.createdAt.getTime();
  if (age > RECENT_SIGN_IN_MINUTES * 60_000) throw recentSignInRequired(RECENT_SIGN_IN_MINUTES);
}

export async function registrationOptions(deps: Deps, actor: Actor): Promise<PasskeyCreationOptions> {
  requireRecentSignIn(deps, actor);
  const { rpID } = relyingParty(deps);
  const { user } = actor;
  const existing = await deps.stores.passkeys.listForUser(user.id);
  const { generateRegistrationOptions } = await webauthn();
  const options = await generateRegistrationOptions({
    rpName: RP_NAME,
    rpID,
    userName: user.email,
    userDisplayName: user.name,
    // The account id as the user handle: one passkey per account on each authenticator.
    userID: new Uint8Array(Buffer.from(user.id.replace(/-/g, ''), 'hex')),
    timeout: WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000,
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
  await deps.stores.passkeys.createChallenge(
    {
      challenge: options.challenge,
      purpose: 'registration',
      userId: user.id,
      email: null,
      expiresAt: expiry(deps),
    },
    deps.clock.now(),
  );
  return options;
}

const unverifiedRegistration = () => fieldError('response', 'invalid_passkey');

/** Registers a passkey from the browser's answer to {@link registrationOptions}. */
export async function registerPasskey(
  deps: Deps,
  request: RequestInfo,
  actor: Actor,
  input: RegisterPasskeyInput,
): Promise<Passkey> {
  const now = deps.clock.now();
  const challenge = await challengeOf(input.response.response.clientDataJSON);
  const issued =
    challenge === undefined
      ? undefined
      : await deps.stores.passkeys.consumeChallenge(challenge, 'registration', now);
  if (!issued || issued.userId !== actor.user.id) throw unverifiedRegistration();
  const { rpID, origin } = relyingParty(deps);
  let info;
  try {
    const { verifyRegistrationResponse } = await webauthn();
    const result = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: issued.challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: true,
    });
    info = result.verified ? result.registrationInfo : undefined;
  } catch {
    info = undefined;
  }
  if (!info) throw unverifiedRegistration();
  const name = input.name ?? `Passkey (${now.toISOString().slice(0, 10)})`;
  const { credential } = info;
  try {
    return await deps.transact(async (stores) => {
      const me = await stores.users.findByIdForUpdate(actor.user.id);
      if (!me || me.disabledAt) throw notSignedIn();
      const created = await stores.passkeys.insert({
        userId: me.id,
        credentialId: credential.id,
        publicKey: credential.publicKey,
        counter: credential.counter,
        transports: credential.transports ?? input.response.response.transports ?? [],
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        name,
      });
      await stores.secondFactors.refreshMfaEnabled(me.id);
      await stores.audit.record({
        actorId: me.id,
        action: 'mfa.passkey.add',
        targetId: me.id,
        ip: request.ip,
        userAgent: request.userAgent,
        metadata: { passkeyId: created.id, name: created.name },
      });
      await queueSecondFactorNotice(deps, stores, me, { kind: 'passkey_added', name: created.name });
      return toPasskeyView(created);
    });
  } catch (error) {
    if (error instanceof PasskeyTakenError) throw apiError('CONFLICT', 'passkey_exists');
    throw error;
  }
}

export async function listPasskeys(deps: Deps, actor: Actor): Promise<Passkey[]> {
  return (await deps.stores.passkeys.listForUser(actor.user.id)).map(toPasskeyView);
}

const noSuchPasskey = () => notFound('passkey_not_found');

export async function renamePasskey(
  deps: Deps,
  request: RequestInfo,
  actor: Actor,
  input: { id: string; name: string },
): Promise<Passkey> {
  return deps.transact(async (stores) => {
    const renamed = await stores.passkeys.rename(actor.user.id, input.id, input.name);
    if (!renamed) throw noSuchPasskey();
    await stores.audit.record({
      actorId: actor.user.id,
      action: 'mfa.passkey.rename',
      targetId: actor.user.id,
      ip: request.ip,
      userAgent: request.userAgent,
      metadata: { passkeyId: renamed.id, name: renamed.name },
    });
    return toPasskeyView(renamed);
  });
}

/** Removes one of the caller's passkeys; with it the last factor, the recovery codes go too. */
export async function deletePasskey(
  deps: Deps,
  request: RequestInfo,
  actor: Actor,
  id: string,
): Promise<void> {
  requireRecentSignIn(deps, actor);
  await deps.transact(async (stores) => {
    const me = await stores.users.findByIdForUpdate(actor.user.id);
    if (!me || me.disabledAt) throw notSignedIn();
    const removed = await stores.passkeys.delete(me.id, id);
    if (!removed) throw noSuchPasskey();
    await afterFactorRemoved(stores, me.id);
    await stores.audit.record({
      actorId: me.id,
      action: 'mfa.passkey.remove',
      targetId: me.id,
      ip: request.ip,
      userAgent: request.userAgent,
      metadata: { passkeyId: removed.id, name: removed.name },
    });
    await queueSecondFactorNotice(deps, stores, me, { kind: 'passkey_removed', name: removed.name });
  });
}
