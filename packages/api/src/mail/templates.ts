import { duration, finish } from '../i18n/format.js';
import type { Locale } from '../i18n/locales.js';
import type { OutgoingMail } from '../ports/outbox.js';

const PRODUCT = 'Tessera';

/** One mail's words in one language; `render` lays them out as text and HTML. */
interface Message {
  subject: string;
  /** Paragraphs of plain text, in order. */
  intro: string[];
  action?: { label: string; link: string; expiresInSeconds: number };
  /** What to do if the recipient did not ask for this. */
  notYou: string;
}

/** A template: whether it carries a live token, and its words in every language. */
interface Template<P> {
  secret: boolean;
  en: (p: P) => Message;
  fr: (p: P) => Message;
}

const template = <P>(t: Template<P>) => t;

interface Link {
  to: string;
  link: string;
  expiresInSeconds: number;
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

/** What happened, in each language: a subject and one sentence. */
const NOTICES: Record<Locale, (n: SecondFactorNotice) => { subject: string; what: string }> = {
  en: (n) => {
    switch (n.kind) {
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
          what: `A passkey named "${n.name}" was added to your account.`,
        };
      case 'passkey_removed':
        return {
          subject: 'A passkey was removed',
          what: `The passkey named "${n.name}" was removed from your account.`,
        };
      case 'recovery_codes_regenerated':
        return {
          subject: 'New recovery codes were made',
          what: 'A new set of recovery codes was made for your account; the old codes no longer work.',
        };
      case 'recovery_code_used':
        return {
          subject: 'A recovery code was used to sign in',
          what: `A recovery code was used to sign in to your account. ${n.left} ${n.left === 1 ? 'code' : 'codes'} left.`,
        };
      case 'reset_by_admin':
        return {
          subject: 'Your second factors were reset',
          what: 'An administrator removed every second factor of your account (authenticator app, recovery codes and passkeys). Signing in asks only for your password until you set one up again.',
        };
    }
  },
  fr: (n) => {
    switch (n.kind) {
      case 'totp_enabled':
        return {
          subject: 'Une application d’authentification a été configurée',
          what: 'Une application d’authentification a été ajoutée comme second facteur : la connexion demande désormais son code.',
        };
      case 'totp_disabled':
        return {
          subject: 'Votre application d’authentification a été désactivée',
          what: 'L’application d’authentification a été retirée de votre compte : la connexion ne demande plus son code.',
        };
      case 'passkey_added':
        return {
          subject: 'Une clé d’accès a été ajoutée',
          what: `La clé d’accès « ${n.name} » a été ajoutée à votre compte.`,
        };
      case 'passkey_removed':
        return {
          subject: 'Une clé d’accès a été supprimée',
          what: `La clé d’accès « ${n.name} » a été retirée de votre compte.`,
        };
      case 'recovery_codes_regenerated':
        return {
          subject: 'De nouveaux codes de secours ont été créés',
          what: 'Une nouvelle série de codes de secours a été créée pour votre compte ; les anciens codes ne fonctionnent plus.',
        };
      case 'recovery_code_used':
        return {
          subject: 'Un code de secours a servi à vous connecter',
          what: `Un code de secours a été utilisé pour vous connecter à votre compte. ${n.left === 0 ? 'Il ne vous en reste aucun.' : n.left === 1 ? 'Il vous en reste 1.' : `Il vous en reste ${n.left}.`}`,
        };
      case 'reset_by_admin':
        return {
          subject: 'Vos seconds facteurs ont été réinitialisés',
          what: 'Un administrateur a retiré tous les seconds facteurs de votre compte (application d’authentification, codes de secours et clés d’accès). La connexion ne demande plus que votre mot de passe jusqu’à ce que vous en configuriez un nouveau.',
        };
    }
  },
};

/**
 * Every mail Tessera sends, in every language, in one place. Adding a mail is one entry here
 * with both languages (the type requires them; test/languages.test.ts renders each). The
 * language is always the recipient's (`User.locale`), never the requester's. French is
 * written with "vous" and plain spaces before ":;!?" (`finish` puts in the no-break ones).
 */
export const mailTemplates = {
  /** The password-reset mail: link to the reset page, its lifetime, what to do if it wasn't you. */
  passwordReset: template<Link>({
    secret: true,
    en: ({ to, link, expiresInSeconds }) => ({
      subject: `Reset your ${PRODUCT} password`,
      intro: [`Someone asked to reset the password of your ${PRODUCT} account (${to}).`],
      action: { label: 'Choose a new password', link, expiresInSeconds },
      notYou: 'If you did not ask for this, ignore this email: your password stays as it is.',
    }),
    fr: ({ to, link, expiresInSeconds }) => ({
      subject: `Réinitialisation de votre mot de passe ${PRODUCT}`,
      intro: [`Quelqu’un a demandé à réinitialiser le mot de passe de votre compte ${PRODUCT} (${to}).`],
      action: { label: 'Choisir un nouveau mot de passe', link, expiresInSeconds },
      notYou:
        'Si vous n’êtes pas à l’origine de cette demande, ignorez cet e-mail : votre mot de passe reste inchangé.',
    }),
  }),

  /** Confirms that the recipient owns the address. */
  emailVerification: template<Link>({
    secret: true,
    en: ({ to, link, expiresInSeconds }) => ({
      subject: `Confirm your email for ${PRODUCT}`,
      intro: [`Please confirm that ${to} is the email address of your ${PRODUCT} account.`],
      action: { label: 'Confirm my email', link, expiresInSeconds },
      notYou: 'If you did not create an account or change your email, ignore this email.',
    }),
    fr: ({ to, link, expiresInSeconds }) => ({
      subject: `Confirmez votre adresse e-mail pour ${PRODUCT}`,
      intro: [`Merci de confirmer que ${to} est bien l’adresse e-mail de votre compte ${PRODUCT}.`],
      action: { label: 'Confirmer mon adresse', link, expiresInSeconds },
      notYou: 'Si vous n’avez ni créé de compte ni changé d’adresse, ignorez simplement cet e-mail.',
    }),
  }),

  /** An account made by an admin: the link sets its first password. */
  invite: template<Link>({
    secret: true,
    en: ({ to, link, expiresInSeconds }) => ({
      subject: `You have been invited to ${PRODUCT}`,
      intro: [
        `An administrator created a ${PRODUCT} account for ${to}.`,
        'Choose a password to start using it.',
      ],
      action: { label: 'Set my password', link, expiresInSeconds },
      notYou: 'If you did not expect this invitation, ignore this email and no password will be set.',
    }),
    fr: ({ to, link, expiresInSeconds }) => ({
      subject: `Invitation à rejoindre ${PRODUCT}`,
      intro: [
        `Un administrateur a créé un compte ${PRODUCT} pour ${to}.`,
        'Choisissez un mot de passe pour commencer à l’utiliser.',
      ],
      action: { label: 'Choisir mon mot de passe', link, expiresInSeconds },
      notYou:
        'Si vous n’attendiez pas cette invitation, ignorez cet e-mail : aucun mot de passe ne sera défini.',
    }),
  }),

  /** The notice after a password change or reset. Carries no token. */
  passwordChanged: template<{ to: string; publicUrl: string }>({
    secret: false,
    en: ({ to, publicUrl }) => ({
      subject: `Your ${PRODUCT} password was changed`,
      intro: [
        `The password of your ${PRODUCT} account (${to}) was just changed, and every device was signed out.`,
      ],
      notYou: `If this wasn't you, reset your password now at ${publicUrl}/forgot-password and tell your administrator.`,
    }),
    fr: ({ to, publicUrl }) => ({
      subject: `Le mot de passe de votre compte ${PRODUCT} a été modifié`,
      intro: [
        `Le mot de passe de votre compte ${PRODUCT} (${to}) vient d’être modifié, et tous vos appareils ont été déconnectés.`,
      ],
      notYou: `Si ce n’était pas vous, réinitialisez votre mot de passe dès maintenant sur ${publicUrl}/forgot-password et prévenez votre administrateur.`,
    }),
  }),

  /** Sent to the address an owner wants to move to: following the link makes it the account's email. */
  emailChangeConfirm: template<Link>({
    secret: true,
    en: ({ to, link, expiresInSeconds }) => ({
      subject: `Confirm your new email for ${PRODUCT}`,
      intro: [
        `Someone asked to use ${to} as the email address of their ${PRODUCT} account.`,
        'The change takes effect only when you follow this link; until then the account keeps its current address.',
      ],
      action: { label: 'Confirm my new email', link, expiresInSeconds },
      notYou: 'If you did not ask for this, ignore this email: nothing changes.',
    }),
    fr: ({ to, link, expiresInSeconds }) => ({
      subject: `Confirmez votre nouvelle adresse e-mail pour ${PRODUCT}`,
      intro: [
        `Quelqu’un a demandé à utiliser ${to} comme adresse e-mail de son compte ${PRODUCT}.`,
        'Le changement ne prend effet que lorsque vous suivez ce lien ; d’ici là, le compte garde son adresse actuelle.',
      ],
      action: { label: 'Confirmer ma nouvelle adresse', link, expiresInSeconds },
      notYou: 'Si vous n’êtes pas à l’origine de cette demande, ignorez cet e-mail : rien ne changera.',
    }),
  }),

  /**
   * Tells the current address that a move to another one was asked for. It carries no link
   * (nothing to click in a mail that may be the only sign of an attack), and only a masked
   * form of the new address.
   */
  emailChangeRequested: template<{ to: string; newEmail: string }>({
    secret: false,
    en: ({ to, newEmail }) => ({
      subject: `Your ${PRODUCT} email is about to change`,
      intro: [
        `Someone signed in to your ${PRODUCT} account (${to}) with its password and asked to move it to ${maskEmail(newEmail)}.`,
        'The account keeps this address until the link sent to the new one is followed.',
      ],
      notYou:
        "If this wasn't you, sign in and change your password now: that cancels the change and signs every device out. Then tell your administrator.",
    }),
    fr: ({ to, newEmail }) => ({
      subject: `L’adresse e-mail de votre compte ${PRODUCT} va changer`,
      intro: [
        `Quelqu’un s’est connecté à votre compte ${PRODUCT} (${to}) avec son mot de passe et a demandé à le transférer vers ${maskEmail(newEmail)}.`,
        'Le compte garde cette adresse tant que le lien envoyé à la nouvelle n’a pas été suivi.',
      ],
      notYou:
        'Si ce n’était pas vous, connectez-vous et changez votre mot de passe tout de suite : cela annule le changement et déconnecte tous les appareils. Prévenez ensuite votre administrateur.',
    }),
  }),

  /** Tells the old address that staff moved the account to another one. */
  emailChangedByStaff: template<{ to: string; newEmail: string }>({
    secret: false,
    en: ({ to, newEmail }) => ({
      subject: `Your ${PRODUCT} email was changed`,
      intro: [
        `An administrator changed the email address of your ${PRODUCT} account from ${to} to ${maskEmail(newEmail)}.`,
        'From now on you sign in, and receive mail, with the new address.',
      ],
      notYou: 'If you did not expect this, contact your administrator.',
    }),
    fr: ({ to, newEmail }) => ({
      subject: `L’adresse e-mail de votre compte ${PRODUCT} a été modifiée`,
      intro: [
        `Un administrateur a remplacé l’adresse e-mail de votre compte ${PRODUCT}, ${to}, par ${maskEmail(newEmail)}.`,
        'Désormais, vous vous connectez et recevez vos e-mails avec la nouvelle adresse.',
      ],
      notYou: 'Si vous ne vous y attendiez pas, contactez votre administrateur.',
    }),
  }),

  /**
   * Tells the old address that the owner's move to another one went through (the link sent to
   * the new address was followed). No link, and the new address masked, as the request's notice.
   */
  emailChanged: template<{ to: string; newEmail: string }>({
    secret: false,
    en: ({ to, newEmail }) => ({
      subject: `Your ${PRODUCT} email was changed`,
      intro: [
        `The email address of your ${PRODUCT} account was changed from ${to} to ${maskEmail(newEmail)}: the link sent to the new address was followed.`,
        'From now on you sign in, and receive mail, with the new address.',
      ],
      notYou:
        "If this wasn't you, someone who knows your password has taken over the account: contact your administrator now.",
    }),
    fr: ({ to, newEmail }) => ({
      subject: `L’adresse e-mail de votre compte ${PRODUCT} a été modifiée`,
      intro: [
        `L’adresse e-mail de votre compte ${PRODUCT} est passée de ${to} à ${maskEmail(newEmail)} : le lien envoyé à la nouvelle adresse a été suivi.`,
        'Désormais, vous vous connectez et recevez vos e-mails avec la nouvelle adresse.',
      ],
      notYou:
        'Si ce n’était pas vous, quelqu’un qui connaît votre mot de passe a pris le contrôle du compte : contactez votre administrateur sans attendre.',
    }),
  }),
  /** After any change to the second factors, or the use of a recovery code. Carries no secret. */
  secondFactorNotice: template<{ to: string; publicUrl: string; notice: SecondFactorNotice }>({
    secret: false,
    en: ({ to, publicUrl, notice }) => {
      const { subject, what } = NOTICES.en(notice);
      return {
        subject: `${PRODUCT}: ${subject.charAt(0).toLowerCase()}${subject.slice(1)}`,
        intro: [`Account: ${to}.`, what],
        notYou: `If this wasn't you, change your password now at ${publicUrl}/profile (or reset it at ${publicUrl}/forgot-password) and tell your administrator.`,
      };
    },
    fr: ({ to, publicUrl, notice }) => {
      const { subject, what } = NOTICES.fr(notice);
      return {
        subject: `${PRODUCT} : ${subject.charAt(0).toLowerCase()}${subject.slice(1)}`,
        intro: [`Compte : ${to}.`, what],
        notYou: `Si ce n’était pas vous, changez votre mot de passe dès maintenant sur ${publicUrl}/profile (ou réinitialisez-le sur ${publicUrl}/forgot-password) et prévenez votre administrateur.`,
      };
    },
  }),
} as const;

export type MailTemplateName = keyof typeof mailTemplates;

/** The parameters a template takes (`to` among them: the recipient). */
export type MailParams<N extends MailTemplateName> = Parameters<(typeof mailTemplates)[N]['en']>[0];

/** The words around every mail, per language. */
const CHROME: Record<
  Locale,
  {
    actionLine: (label: string, link: string) => string;
    pasteLink: string;
    expires: (d: string) => string;
    signature: string;
  }
> = {
  en: {
    actionLine: (label, link) => `${label}: ${link}`,
    pasteLink: 'Or paste this link into your browser:',
    expires: (d) => `This link expires in ${d}.`,
    signature: `— ${PRODUCT}`,
  },
  fr: {
    actionLine: (label, link) => `${label} : ${link}`,
    pasteLink: 'Ou copiez ce lien dans votre navigateur :',
    expires: (d) => `Ce lien expire dans ${d}.`,
    signature: `— L’équipe ${PRODUCT}`,
  },
};

/** Composes template `name` for its recipient, in the recipient's language. */
export function composeMail<N extends MailTemplateName>(
  name: N,
  locale: Locale,
  params: MailParams<N>,
): OutgoingMail {
  const entry = mailTemplates[name] as unknown as Template<MailParams<N>>;
  return render(entry[locale](params), params.to, locale, entry.secret);
}

/** `n***@example.com`: enough for the owner to recognise the address, not enough to harvest it. */
function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}

function render(message: Message, to: string, locale: Locale, secret: boolean): OutgoingMail {
  const say = (text: string) => finish(locale, text);
  const chrome = CHROME[locale];
  const { action } = message;
  const intro = message.intro.map(say);
  const notYou = say(message.notYou);
  const label = action && say(action.label);
  const expiry = action ? say(chrome.expires(duration(locale, action.expiresInSeconds))) : undefined;
  const text = [
    ...intro,
    ...(action ? [say(chrome.actionLine(action.label, action.link)), expiry] : []),
    notYou,
    chrome.signature,
  ].join('\n\n');
  const paragraphs = intro.map((p) => `<p>${escapeHtml(p)}</p>`);
  if (action) {
    paragraphs.push(
      `<p><a href="${escapeHtml(action.link)}" style="display:inline-block;padding:10px 18px;background:#1f4fd1;color:#fff;border-radius:6px;text-decoration:none">${escapeHtml(label ?? '')}</a></p>`,
      `<p style="color:#555">${escapeHtml(say(chrome.pasteLink))}<br>${escapeHtml(action.link)}</p>`,
      `<p style="color:#555">${escapeHtml(expiry ?? '')}</p>`,
    );
  }
  paragraphs.push(`<p style="color:#555">${escapeHtml(notYou)}</p>`);
  const html = `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(say(message.subject))}</title></head><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#111"><h2>${PRODUCT}</h2>${paragraphs.join('')}</body></html>`;
  return {
    to,
    subject: say(message.subject),
    text,
    html,
    language: locale,
    ...(action ? { link: action.link } : {}),
    secret,
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
