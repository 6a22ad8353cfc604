import type { Deps, OneTimePurpose, Stores, UserRecord } from '../ports/index.js';
import { emailVerificationMail, inviteMail, passwordResetMail } from '../mail/templates.js';
import { hashToken, newOpaqueToken } from '../secrets.js';

/**
 * The emailed-link flows share one shape: a fresh single-use token (superseding older ones
 * of the same purpose), stored hashed, and a mail carrying the link, queued in the caller's
 * transaction so the mail exists exactly when the change does.
 */
async function queueTokenMail(
  deps: Deps,
  stores: Stores,
  user: UserRecord,
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
    tokenHash: hashToken(token),
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
  });
  await stores.outbox.enqueue(compose(linkFor(token)));
}

/** The reset link lands on the web app's page; the token rides in the fragment, never sent to a server. */
export function queuePasswordReset(deps: Deps, stores: Stores, user: UserRecord): Promise<void> {
  const ttl = deps.settings.resetTokenTtlSeconds;
  return queueTokenMail(
    deps,
    stores,
    user,
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
    'email_verification',
    ttl,
    (link) => emailVerificationMail(user.email, link, ttl),
    (token) => `${deps.settings.publicUrl}/verify-email#token=${token}`,
  );
}

/** An account created without a password: the link sets the first one (via auth.resetPassword). */
export function queueInvite(deps: Deps, stores: Stores, user: UserRecord): Promise<void> {
  const ttl = deps.settings.inviteTokenTtlSeconds;
  return queueTokenMail(
    deps,
    stores,
    user,
    'invite',
    ttl,
    (link) => inviteMail(user.email, link, ttl),
    (token) => `${deps.settings.publicUrl}/reset-password#token=${token}&invite=1`,
  );
}
