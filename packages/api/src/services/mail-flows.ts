import type {
  Deps,
  OneTimeTokenOwner,
  OneTimePurpose,
  Stores,
  TokenRefusal,
  UserRecord,
} from '../ports/index.js';
import { composeMail, type MailTemplateName, type SecondFactorNotice } from '../mail/templates.js';
import { hashToken, newOpaqueToken } from '../secrets.js';

/** What makes each emailed link: how long it lives, the mail that carries it, where it lands. */
interface LinkFlow {
  ttlSeconds(settings: Deps['settings']): number;
  mail: MailTemplateName & ('passwordReset' | 'emailVerification' | 'emailChangeConfirm' | 'invite');
  /** The page the link opens; the token rides in the fragment, never sent to a server. */
  page(token: string): string;
}

const FLOWS: Readonly<Record<OneTimePurpose, LinkFlow>> = {
  password_reset: {
    ttlSeconds: (settings) => settings.resetTokenTtlSeconds,
    mail: 'passwordReset',
    page: (token) => `/reset-password#token=${token}`,
  },
  email_verification: {
    ttlSeconds: (settings) => settings.verificationTokenTtlSeconds,
    mail: 'emailVerification',
    page: (token) => `/verify-email#token=${token}`,
  },
  // Following it (auth.verifyEmail) applies the address the owner asked to move to.
  email_change: {
    ttlSeconds: (settings) => settings.verificationTokenTtlSeconds,
    mail: 'emailChangeConfirm',
    page: (token) => `/verify-email#token=${token}`,
  },
  // An account created without a password: the link sets the first one (via auth.resetPassword).
  invite: {
    ttlSeconds: (settings) => settings.inviteTokenTtlSeconds,
    mail: 'invite',
    page: (token) => `/reset-password#token=${token}&invite=1`,
  },
};

/**
 * The emailed-link flows share one shape: a fresh single-use token (superseding older ones
 * of the same purpose), stored hashed together with the address it goes to, and a mail
 * carrying the link, queued in the caller's transaction so the mail exists exactly when the
 * change does. Callers hold the user's row lock (see the README on lock order).
 */
async function queueLink(
  deps: Deps,
  stores: Stores,
  user: UserRecord,
  purpose: OneTimePurpose,
  to: string = user.email,
): Promise<void> {
  const flow = FLOWS[purpose];
  const ttlSeconds = flow.ttlSeconds(deps.settings);
  const token = newOpaqueToken();
  const now = deps.clock.now();
  await stores.oneTimeTokens.replace({
    userId: user.id,
    purpose,
    email: to,
    tokenHash: hashToken(token),
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
  });
  // In the account's language, whoever asked (an admin's invite reads in the invitee's).
  await stores.outbox.enqueue(
    composeMail(flow.mail, user.locale, {
      to,
      link: `${deps.settings.publicUrl}${flow.page(token)}`,
      expiresInSeconds: ttlSeconds,
    }),
  );
}

/**
 * True while a link still belongs to the account: it was mailed to the address the account
 * has now (or, for an email change, to the address still waiting to be confirmed). A link
 * that went to an address the account has since left is refused, whatever path changed it.
 */
export function linkStillBelongs(user: UserRecord, token: OneTimeTokenOwner): boolean {
  return token.purpose === 'email_change' ? user.pendingEmail === token.email : user.email === token.email;
}

/** A password-reset link to the account's address. */
export const queuePasswordReset = (deps: Deps, stores: Stores, user: UserRecord) =>
  queueLink(deps, stores, user, 'password_reset');

/** Confirms the user's current address. */
export const queueEmailVerification = (deps: Deps, stores: Stores, user: UserRecord) =>
  queueLink(deps, stores, user, 'email_verification');

/** Confirms an address the owner asked to move to, mailed to that address. */
export const queueEmailChange = (deps: Deps, stores: Stores, user: UserRecord, newEmail: string) =>
  queueLink(deps, stores, user, 'email_change', newEmail);

/** Invites an account created without a password to set one. */
export const queueInvite = (deps: Deps, stores: Stores, user: UserRecord) =>
  queueLink(deps, stores, user, 'invite');

/** True when the token store answered with a refusal rather than the token's owner. */
export function isRefusal(value: OneTimeTokenOwner | TokenRefusal): value is TokenRefusal {
  return typeof value === 'string';
}

/** Tells the owner of a change to their second factors, in the caller's transaction. */
export const queueSecondFactorNotice = (
  deps: Deps,
  stores: Stores,
  user: UserRecord,
  notice: SecondFactorNotice,
) =>
  stores.outbox.enqueue(
    composeMail('secondFactorNotice', user.locale, {
      to: user.email,
      publicUrl: deps.settings.publicUrl,
      notice,
    }),
  );
