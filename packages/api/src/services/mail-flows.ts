import type {
  Deps,
  OneTimeTokenOwner,
  OneTimePurpose,
  Stores,
  TokenRefusal,
  UserRecord,
} from '../ports/index.js';
import {
  emailChangeConfirmMail,
  emailVerificationMail,
  inviteMail,
  passwordResetMail,
} from '../mail/templates.js';
import { hashToken, newOpaqueToken } from '../secrets.js';

/**
 * The emailed-link flows share one shape: a fresh single-use token (superseding older ones
 * of the same purpose), stored hashed together with the address it goes to, and a mail
 * carrying the link, queued in the caller's transaction so the mail exists exactly when the
 * change does. Callers hold the user's row lock (see the README on lock order).
 */
async function queueTokenMail(
  deps: Deps,
  stores: Stores,
  user: UserRecord,
  to: string,
  purpose: OneTimePurpose,
  ttlSeconds: number,
  compose: (link: string) => Parameters<Stores['outbox']['enqueue']>[0],
  linkFor: (token: string) => string,
): Promise<void> {
  const token = newOpaqueToken();
  const now = deps.clock.now();
  await stores.oneTimeTokens.replace({
    userId: user.id,
    purpose,
    email: to,
    tokenHash: hashToken(token),
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
  });
  await stores.outbox.enqueue(compose(linkFor(token)));
}

/**
 * True while a link still belongs to the account: it was mailed to the address the account
 * has now (or, for an email change, to the address still waiting to be confirmed). A link
 * that went to an address the account has since left is refused, whatever path changed it.
 */
export function linkStillBelongs(user: UserRecord, token: OneTimeTokenOwner): boolean {
  return token.purpose === 'email_change' ? user.pendingEmail === token.email : user.email === token.email;
}

const verifyLink = (deps: Deps) => (token: string) =>
  `${deps.settings.publicUrl}/verify-email#token=${token}`;

/** The reset link lands on the web app's page; the token rides in the fragment, never sent to a server. */
export function queuePasswordReset(deps: Deps, stores: Stores, user: UserRecord): Promise<void> {
  const ttl = deps.settings.resetTokenTtlSeconds;
  return queueTokenMail(
    deps,
    stores,
    user,
    user.email,
    'password_reset',
    ttl,
    (link) => passwordResetMail(user.email, link, ttl),
    (token) => `${deps.settings.publicUrl}/reset-password#token=${token}`,
  );
}

/** Confirms the user's current address. */
export function queueEmailVerification(deps: Deps, stores: Stores, user: UserRecord): Promise<void> {
  const ttl = deps.settings.verificationTokenTtlSeconds;
  return queueTokenMail(
    deps,
    stores,
    user,
    user.email,
    'email_verification',
    ttl,
    (link) => emailVerificationMail(user.email, link, ttl),
    verifyLink(deps),
  );
}

/** Confirms an address the owner asked to move to; following the link (auth.verifyEmail) applies it. */
export function queueEmailChange(
  deps: Deps,
  stores: Stores,
  user: UserRecord,
  newEmail: string,
): Promise<void> {
  const ttl = deps.settings.verificationTokenTtlSeconds;
  return queueTokenMail(
    deps,
    stores,
    user,
    newEmail,
    'email_change',
    ttl,
    (link) => emailChangeConfirmMail(newEmail, link, ttl),
    verifyLink(deps),
  );
}

/** An account created without a password: the link sets the first one (via auth.resetPassword). */
export function queueInvite(deps: Deps, stores: Stores, user: UserRecord): Promise<void> {
  const ttl = deps.settings.inviteTokenTtlSeconds;
  return queueTokenMail(
    deps,
    stores,
    user,
    user.email,
    'invite',
    ttl,
    (link) => inviteMail(user.email, link, ttl),
    (token) => `${deps.settings.publicUrl}/reset-password#token=${token}&invite=1`,
  );
}

/** True when the token store answered with a refusal rather than the token's owner. */
export function isRefusal(value: OneTimeTokenOwner | TokenRefusal): value is TokenRefusal {
  return typeof value === 'string';
}
