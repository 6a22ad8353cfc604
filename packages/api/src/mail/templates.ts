import type { OutgoingMail } from '../ports/outbox.js';

const PRODUCT = 'Tessera';

interface Message {
  to: string;
  subject: string;
  /** Paragraphs of plain text, in order. */
  intro: string[];
  action?: { label: string; link: string; expiresInSeconds: number };
  /** What to do if the recipient did not ask for this. */
  notYou: string;
  secret: boolean;
}

/** The password-reset mail: link to the reset page, its lifetime, what to do if it wasn't you. */
export function passwordResetMail(to: string, link: string, expiresInSeconds: number): OutgoingMail {
  return render({
    to,
    subject: `Reset your ${PRODUCT} password`,
    intro: [`Someone asked to reset the password of your ${PRODUCT} account (${to}).`],
    action: { label: 'Choose a new password', link, expiresInSeconds },
    notYou: 'If you did not ask for this, ignore this email: your password stays as it is.',
    secret: true,
  });
}

/** Confirms that the recipient owns the address. */
export function emailVerificationMail(to: string, link: string, expiresInSeconds: number): OutgoingMail {
  return render({
    to,
    subject: `Confirm your email for ${PRODUCT}`,
    intro: [`Please confirm that ${to} is the email address of your ${PRODUCT} account.`],
    action: { label: 'Confirm my email', link, expiresInSeconds },
    notYou: 'If you did not create an account or change your email, ignore this email.',
    secret: true,
  });
}

/** An account made by an admin: the link sets its first password. */
export function inviteMail(to: string, link: string, expiresInSeconds: number): OutgoingMail {
  return render({
    to,
    subject: `You have been invited to ${PRODUCT}`,
    intro: [
      `An administrator created a ${PRODUCT} account for ${to}.`,
      'Choose a password to start using it.',
    ],
    action: { label: 'Set my password', link, expiresInSeconds },
    notYou: 'If you did not expect this invitation, ignore this email and no password will be set.',
    secret: true,
  });
}

/** The notice after a password change or reset. Carries no token. */
export function passwordChangedMail(to: string, publicUrl: string): OutgoingMail {
  return render({
    to,
    subject: `Your ${PRODUCT} password was changed`,
    intro: [
      `The password of your ${PRODUCT} account (${to}) was just changed, and every device was signed out.`,
    ],
    notYou: `If this wasn't you, reset your password now at ${publicUrl}/forgot-password and tell your administrator.`,
    secret: false,
  });
}

/** Sent to the address an owner wants to move to: following the link makes it the account's email. */
export function emailChangeConfirmMail(to: string, link: string, expiresInSeconds: number): OutgoingMail {
  return render({
    to,
    subject: `Confirm your new email for ${PRODUCT}`,
    intro: [
      `Someone asked to use ${to} as the email address of their ${PRODUCT} account.`,
      'The change takes effect only when you follow this link; until then the account keeps its current address.',
    ],
    action: { label: 'Confirm my new email', link, expiresInSeconds },
    notYou: 'If you did not ask for this, ignore this email: nothing changes.',
    secret: true,
  });
}

/**
 * Tells the current address that a move to another one was asked for. It carries no link
 * (nothing to click in a mail that may be the only sign of an attack), and only a masked
 * form of the new address.
 */
export function emailChangeRequestedMail(to: string, newEmail: string): OutgoingMail {
  return render({
    to,
    subject: `Your ${PRODUCT} email is about to change`,
    intro: [
      `Someone signed in to your ${PRODUCT} account (${to}) with its password and asked to move it to ${maskEmail(newEmail)}.`,
      'The account keeps this address until the link sent to the new one is followed.',
    ],
    notYou:
      "If this wasn't you, sign in and change your password now: that cancels the change and signs every device out. Then tell your administrator.",
    secret: false,
  });
}

/** Tells the old address that staff moved the account to another one. */
export function emailChangedByStaffMail(to: string, newEmail: string): OutgoingMail {
  return render({
    to,
    subject: `Your ${PRODUCT} email was changed`,
    intro: [
      `An administrator changed the email address of your ${PRODUCT} account from ${to} to ${maskEmail(newEmail)}.`,
      'From now on you sign in, and receive mail, with the new address.',
    ],
    notYou: 'If you did not expect this, contact your administrator.',
    secret: false,
  });
}

/**
 * Tells the old address that the owner's move to another one went through (the link sent to
 * the new address was followed). No link, and the new address masked, as the request's notice.
 */
export function emailChangedMail(to: string, newEmail: string): OutgoingMail {
  return render({
    to,
    subject: `Your ${PRODUCT} email was changed`,
    intro: [
      `The email address of your ${PRODUCT} account was changed from ${to} to ${maskEmail(newEmail)}: the link sent to the new address was followed.`,
      'From now on you sign in, and receive mail, with the new address.',
    ],
    notYou:
      "If this wasn't you, someone who knows your password has taken over the account: contact your administrator now.",
    secret: false,
  });
}

/** A change to an account's second factors, told to its owner. */
export type SecondFactorNotice =
  | { kind: 'totp_enabled' }
  | { kind: 'totp_disabled' }
  | { kind: 'passkey_added'; name: string }
  | { kind: 'passkey_removed'; name: string }
  | { kind: 'recovery_codes_regenerated' }
  | { kind: 'recovery_code_used'; left: number }
  | { kind: 'reset_by_admin' };

function describeNotice(notice: SecondFactorNotice): { subject: string; what: string } {
  switch (notice.kind) {
    case 'totp_enabled':
      return {
        subject: 'An authenticator app was set up',
        what: 'An authenticator app was set up as a second factor: signing in now asks for its code.',
      };
    case 'totp_disabled':
      return {
        subject: 'Your authenticator app was turned off',
        what: 'The authenticator app was removed from your account: signing in no longer asks for its code.',
      };
    case 'passkey_added':
      return {
        subject: 'A passkey was added',
        what: `A passkey named "${notice.name}" was added to your account.`,
      };
    case 'passkey_removed':
      return {
        subject: 'A passkey was removed',
        what: `The passkey named "${notice.name}" was removed from your account.`,
      };
    case 'recovery_codes_regenerated':
      return {
        subject: 'New recovery codes were made',
        what: 'A new set of recovery codes was made for your account; the old codes no longer work.',
      };
    case 'recovery_code_used':
      return {
        subject: 'A recovery code was used to sign in',
        what: `A recovery code was used to sign in to your account. ${plural(notice.left, 'code')} left.`,
      };
    case 'reset_by_admin':
      return {
        subject: 'Your second factors were reset',
        what: 'An administrator removed every second factor of your account (authenticator app, recovery codes and passkeys). Signing in asks only for your password until you set one up again.',
      };
  }
}

/** The notice after any change to the second factors, or the use of a recovery code. Carries no secret. */
export function secondFactorNoticeMail(
  to: string,
  notice: SecondFactorNotice,
  publicUrl: string,
): OutgoingMail {
  const { subject, what } = describeNotice(notice);
  return render({
    to,
    subject: `${PRODUCT}: ${subject.charAt(0).toLowerCase()}${subject.slice(1)}`,
    intro: [`Account: ${to}.`, what],
    notYou: `If this wasn't you, change your password now at ${publicUrl}/profile (or reset it at ${publicUrl}/forgot-password) and tell your administrator.`,
    secret: false,
  });
}

/** `n***@example.com`: enough for the owner to recognise the address, not enough to harvest it. */
function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}

function render(message: Message): OutgoingMail {
  const { action } = message;
  const expiry = action ? `This link expires in ${describeDuration(action.expiresInSeconds)}.` : undefined;
  const text = [
    ...message.intro,
    ...(action ? [`${action.label}: ${action.link}`, expiry] : []),
    message.notYou,
    `— ${PRODUCT}`,
  ].join('\n\n');
  const paragraphs = message.intro.map((p) => `<p>${escapeHtml(p)}</p>`);
  if (action) {
    paragraphs.push(
      `<p><a href="${escapeHtml(action.link)}" style="display:inline-block;padding:10px 18px;background:#1f4fd1;color:#fff;border-radius:6px;text-decoration:none">${escapeHtml(action.label)}</a></p>`,
      `<p style="color:#555">Or paste this link into your browser:<br>${escapeHtml(action.link)}</p>`,
      `<p style="color:#555">${escapeHtml(expiry ?? '')}</p>`,
    );
  }
  paragraphs.push(`<p style="color:#555">${escapeHtml(message.notYou)}</p>`);
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#111"><h2>${PRODUCT}</h2>${paragraphs.join('')}</body></html>`;
  return {
    to: message.to,
    subject: message.subject,
    text,
    html,
    ...(action ? { link: action.link } : {}),
    secret: message.secret,
  };
}

function describeDuration(seconds: number): string {
  if (seconds % 86_400 === 0) return plural(seconds / 86_400, 'day');
  if (seconds % 3_600 === 0) return plural(seconds / 3_600, 'hour');
  return plural(Math.round(seconds / 60), 'minute');
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
