import { duration, finish } from './format.js';
import type { Locale } from './locales.js';
import { policyRefusal, type PolicyRule } from './policy-refusals.js';

/** A message that takes parameters, rendered in one language. */
type Render<P> = (params: P, locale: Locale) => string;

/** One reason's message in every language: text, or a function of the error's parameters. */
interface Entry<P> {
  en: string | Render<P>;
  fr: string | Render<P>;
}

/** An entry whose message depends on parameters, typed once for both languages. */
/** Why a webhook URL may not be called: a name that does not resolve, or a non-public address. */
export type WebhookTargetRefusal =
  | { problem: 'unresolvable' | 'no_address'; host: string }
  | { problem: 'not_public'; host: string; address: string; range: string };

const withParams = <P>(entry: { en: Render<P>; fr: Render<P> }) => entry;

/**
 * Every error reason (`data.reason`) and its message in each language: the one catalogue.
 * Adding a reason is one entry here, in both languages; `Reason` is its keys, so `apiError`
 * refuses a reason that has no message, and the README and /openapi.json list these keys
 * (test/languages.test.ts holds them together). French: "vous", and plain spaces before
 * ":;!?" — `finish` puts the no-break ones in.
 */
export const errorMessages = {
  // 400
  invalid_input: { en: 'Invalid input', fr: 'Saisie non valide' },
  malformed_json: {
    en: 'The input is not valid JSON',
    fr: 'Les données envoyées ne sont pas du JSON valide',
  },
  malformed_request: {
    en: 'The request could not be read',
    fr: 'La requête n’a pas pu être lue',
  },
  malformed_url: {
    en: 'The request path is not valid percent-encoding',
    fr: 'Le chemin de la requête n’est pas correctement encodé',
  },
  input_too_deep: withParams<{ maxDepth: number }>({
    en: ({ maxDepth }) => `The input is nested more than ${maxDepth} levels deep`,
    fr: ({ maxDepth }) => `Les données sont imbriquées sur plus de ${maxDepth} niveaux`,
  }),
  unexpected_body: {
    en: 'A GET or HEAD request carries no body',
    fr: 'Une requête GET ou HEAD ne doit pas avoir de corps',
  },
  batch_too_large: {
    en: 'Batch call exceeds maximum size',
    fr: 'Ce lot contient trop d’appels',
  },
  streaming_not_supported: {
    en: 'Streamed answers are not served: use httpBatchLink or httpLink',
    fr: 'Les réponses en flux ne sont pas servies : utilisez httpBatchLink ou httpLink',
  },
  password_too_short: withParams<{ minLength: number }>({
    en: ({ minLength }) => `Password must be at least ${minLength} characters`,
    fr: ({ minLength }) => `Le mot de passe doit comporter au moins ${minLength} caractères`,
  }),
  password_too_long: withParams<{ maxLength: number }>({
    en: ({ maxLength }) => `Password must be at most ${maxLength} characters`,
    fr: ({ maxLength }) => `Le mot de passe ne peut pas dépasser ${maxLength} caractères`,
  }),
  password_too_common: {
    en: 'This password is too common; choose another',
    fr: 'Ce mot de passe est trop courant ; choisissez-en un autre',
  },
  password_contains_email: {
    en: 'Password must not contain your email address',
    fr: 'Le mot de passe ne doit pas contenir votre adresse e-mail',
  },
  password_unchanged: {
    en: 'New password must differ from the current one',
    fr: 'Le nouveau mot de passe doit être différent de l’actuel',
  },
  wrong_password: { en: 'The password is not correct', fr: 'Le mot de passe est incorrect' },
  current_password_required: {
    en: 'Enter your current password to change your email',
    fr: 'Saisissez votre mot de passe actuel pour changer d’adresse e-mail',
  },
  link_invalid: {
    en: 'This link is not valid (a newer one may have been sent). Request a new one.',
    fr: 'Ce lien n’est pas valide (un lien plus récent a peut-être été envoyé). Demandez-en un nouveau.',
  },
  link_used: {
    en: 'This link has already been used. Request a new one.',
    fr: 'Ce lien a déjà servi. Demandez-en un nouveau.',
  },
  link_expired: {
    en: 'This link has expired. Request a new one.',
    fr: 'Ce lien a expiré. Demandez-en un nouveau.',
  },
  invalid_cursor: withParams<{ sort?: string; order?: string }>({
    en: ({ sort, order }) =>
      sort
        ? `This cursor belongs to a list sorted by ${sort} ${order}; pass the same sort and order, or start again without a cursor`
        : 'This cursor is not valid; start again from the first page',
    fr: ({ sort, order }) =>
      sort
        ? `Ce curseur appartient à une liste triée par ${sort} ${order} ; gardez le même tri, ou recommencez sans curseur`
        : 'Ce curseur n’est pas valide ; recommencez à la première page',
  }),
  // 401
  invalid_expiry: {
    en: 'The expiry must be in the future',
    fr: 'La date d’expiration doit être dans le futur',
  },
  webhook_target_not_allowed: withParams<WebhookTargetRefusal>({
    en: (r) => {
      if (r.problem !== 'not_public')
        return r.problem === 'unresolvable'
          ? `The host ${r.host} could not be resolved`
          : `The host ${r.host} has no address`;
      const where = r.host === r.address ? r.address : `${r.host} resolves to ${r.address}`;
      return `${where}, a ${r.range} address: webhooks only call public addresses (WEBHOOK_ALLOW_PRIVATE=true allows others)`;
    },
    fr: (r) => {
      if (r.problem !== 'not_public')
        return r.problem === 'unresolvable'
          ? `Le nom ${r.host} n’a pas pu être résolu`
          : `Le nom ${r.host} n’a aucune adresse`;
      const where = r.host === r.address ? r.address : `${r.host} pointe vers ${r.address}`;
      return `${where}, une adresse de type ${r.range} : les webhooks n’appellent que des adresses publiques (WEBHOOK_ALLOW_PRIVATE=true autorise les autres)`;
    },
  }),
  invalid_credentials: {
    en: 'Invalid email or password',
    fr: 'Adresse e-mail ou mot de passe incorrect',
  },
  not_signed_in: { en: 'Sign in to continue', fr: 'Connectez-vous pour continuer' },
  invalid_refresh_token: {
    en: 'Invalid or expired refresh token',
    fr: 'Jeton de renouvellement invalide ou expiré',
  },
  invalid_mfa_code: {
    en: 'The code is not correct',
    fr: 'Le code est incorrect',
  },
  invalid_passkey: {
    en: 'This passkey could not be verified; try again',
    fr: 'Cette clé d’accès n’a pas pu être vérifiée ; réessayez',
  },
  invalid_mfa_token: {
    en: 'This sign-in has expired or was already used: sign in again with your password',
    fr: 'Cette connexion a expiré ou a déjà servi : reconnectez-vous avec votre mot de passe',
  },
  metrics_token_required: {
    en: 'Send the metrics token: Authorization: Bearer <METRICS_TOKEN>',
    fr: 'Envoyez le jeton des métriques : Authorization: Bearer <METRICS_TOKEN>',
  },
  // 403
  forbidden: withParams<{ rule?: PolicyRule }>({
    en: ({ rule }) => (rule ? policyRefusal(rule, 'en') : 'You are not allowed to do this'),
    fr: ({ rule }) => (rule ? policyRefusal(rule, 'fr') : 'Vous n’avez pas le droit de faire cela'),
  }),
  registration_closed: {
    en: 'Sign-up is closed here: ask an administrator for an invitation',
    fr: 'Les inscriptions sont fermées ici : demandez une invitation à un administrateur',
  },
  mfa_enrollment_required: {
    en: 'Your role requires a second factor: set up an authenticator app or a passkey first',
    fr: 'Votre rôle exige un second facteur : configurez d’abord une application d’authentification ou une clé d’accès',
  },
  recent_sign_in_required: withParams<{ minutes: number }>({
    en: ({ minutes }) =>
      `Sign in again to do this: adding or removing a passkey needs a sign-in from the last ${minutes} minutes`,
    fr: ({ minutes }) =>
      `Reconnectez-vous pour faire cela : ajouter ou supprimer une clé d’accès demande une connexion de moins de ${minutes} minutes`,
  }),
  api_key_not_allowed: {
    en: 'An API key cannot call this: it is about the signed-in person’s own account',
    fr: 'Une clé d’API ne peut pas appeler ceci : cela concerne le compte de la personne connectée',
  },
  // 404
  not_found: { en: 'Not found', fr: 'Introuvable' },
  user_not_found: { en: 'No user with this id', fr: 'Aucun utilisateur ne porte cet identifiant' },
  session_not_found: { en: 'No such session', fr: 'Cette session n’existe pas' },
  passkey_not_found: { en: 'No such passkey', fr: 'Cette clé d’accès n’existe pas' },
  api_key_not_found: { en: 'No API key with this id', fr: 'Aucune clé d’API ne porte cet identifiant' },
  webhook_not_found: { en: 'No webhook with this id', fr: 'Aucun webhook ne porte cet identifiant' },
  delivery_not_found: { en: 'No delivery with this id', fr: 'Aucun envoi ne porte cet identifiant' },
  // 405
  method_not_supported: {
    en: 'This procedure is not called with this HTTP method',
    fr: 'Cette procédure ne s’appelle pas avec cette méthode HTTP',
  },
  // 409
  email_taken: {
    en: 'An account with this email already exists',
    fr: 'Un compte existe déjà avec cette adresse e-mail',
  },
  last_admin: withParams<{ action: 'delete_self' | 'delete' | 'disable' | 'demote' }>({
    en: ({ action }) =>
      action === 'delete_self'
        ? 'You are the last enabled admin; make another user an admin before deleting your account'
        : `This is the last enabled admin; make another user an admin before you ${action} this one`,
    fr: ({ action }) =>
      action === 'delete_self'
        ? 'Vous êtes le dernier administrateur actif ; nommez un autre administrateur avant de supprimer votre compte'
        : `C’est le dernier administrateur actif ; nommez-en un autre avant de ${{ delete: 'le supprimer', disable: 'le désactiver', demote: 'le rétrograder' }[action]}`,
  }),
  stale_update: {
    en: 'This user was changed after you loaded it (updatedAt differs); reload and try again',
    fr: 'Cet utilisateur a été modifié depuis que vous l’avez chargé (updatedAt diffère) ; rechargez et réessayez',
  },
  conflict: {
    en: 'This conflicts with the current state',
    fr: 'Cette demande est en conflit avec l’état actuel',
  },
  totp_already_enabled: {
    en: 'An authenticator app is already set up: turn it off first to set up another',
    fr: 'Une application d’authentification est déjà configurée : désactivez-la d’abord pour en configurer une autre',
  },
  totp_not_pending: {
    en: 'Start setting up an authenticator app first',
    fr: 'Commencez d’abord la configuration d’une application d’authentification',
  },
  totp_not_enabled: {
    en: 'No authenticator app is set up',
    fr: 'Aucune application d’authentification n’est configurée',
  },
  mfa_not_enabled: {
    en: 'Set up an authenticator app or a passkey first: recovery codes stand in for one',
    fr: 'Configurez d’abord une application d’authentification ou une clé d’accès : les codes de secours la remplacent en cas de perte',
  },
  passkey_exists: {
    en: 'This passkey is registered already',
    fr: 'Cette clé d’accès est déjà enregistrée',
  },
  // 413, 414, 415
  payload_too_large: { en: 'Request body is too large', fr: 'Le corps de la requête est trop volumineux' },
  uri_too_long: { en: 'The request path is too long', fr: 'Le chemin de la requête est trop long' },
  unsupported_media_type: {
    en: 'Send the body as JSON (Content-Type: application/json)',
    fr: 'Envoyez le corps en JSON (Content-Type: application/json)',
  },
  // 429
  too_many_attempts: withParams<{ retryAfterSeconds: number }>({
    en: ({ retryAfterSeconds }, l) =>
      `Too many sign-in attempts. Try again in ${duration(l, Math.max(60, retryAfterSeconds))}, or reset your password.`,
    fr: ({ retryAfterSeconds }, l) =>
      `Trop de tentatives de connexion. Réessayez dans ${duration(l, Math.max(60, retryAfterSeconds))}, ou réinitialisez votre mot de passe.`,
  }),
  rate_limited: withParams<{ retryAfterSeconds: number; what?: RateLimitedWhat }>({
    en: ({ retryAfterSeconds, what }, l) =>
      what === 'apiKey'
        ? `Too many requests with this API key. Try again in ${duration(l, Math.max(1, retryAfterSeconds))}.`
        : `Too many ${RATE_LIMITED_WHAT.en[what ?? 'requests']} from your network. Try again in ${duration(l, Math.max(60, retryAfterSeconds))}.`,
    fr: ({ retryAfterSeconds, what }, l) =>
      what === 'apiKey'
        ? `Trop de requêtes avec cette clé d’API. Réessayez dans ${duration(l, Math.max(1, retryAfterSeconds))}.`
        : `Trop ${RATE_LIMITED_WHAT.fr[what ?? 'requests']} depuis votre réseau. Réessayez dans ${duration(l, Math.max(60, retryAfterSeconds))}.`,
  }),
  too_many_in_flight: {
    en: 'Too many password checks from your network at once. Try again in a second.',
    fr: 'Trop de vérifications de mot de passe en même temps depuis votre réseau. Réessayez dans une seconde.',
  },
  too_many_email_changes: withParams<{ retryAfterSeconds: number }>({
    en: ({ retryAfterSeconds }, l) =>
      `Too many email changes for one day. Try again in ${duration(l, Math.ceil(retryAfterSeconds / 3600) * 3600)}.`,
    fr: ({ retryAfterSeconds }, l) =>
      `Trop de changements d’adresse e-mail pour aujourd’hui. Réessayez dans ${duration(l, Math.ceil(retryAfterSeconds / 3600) * 3600)}.`,
  }),
  // 500
  internal_error: { en: 'Internal server error', fr: 'Erreur interne du serveur' },
  // 503
  service_unavailable: {
    en: 'The service is temporarily unavailable, try again shortly',
    fr: 'Le service est momentanément indisponible, réessayez dans un instant',
  },
  overloaded: {
    en: 'The service is busy, try again in a few seconds',
    fr: 'Le service est très sollicité, réessayez dans quelques secondes',
  },
  list_timeout: {
    en: 'Listing users took too long; narrow the search or the filters, or try again shortly',
    fr: 'La liste des utilisateurs a pris trop de temps ; affinez la recherche ou les filtres, ou réessayez dans un instant',
  },
  signing_key_mismatch: {
    en: 'This node is misconfigured and cannot serve requests',
    fr: 'Ce nœud est mal configuré et ne peut pas répondre',
  },
} as const satisfies Record<string, Entry<never>>;

/** What a per-address limit counted (rate_limited), as each language says it. */
export type RateLimitedWhat =
  'requests' | 'signIn' | 'register' | 'mail' | 'tokens' | 'refresh' | 'passwordChecks' | 'apiKey';
/** Per address; an API key's own limit is worded apart. */
const RATE_LIMITED_WHAT: Record<Locale, Record<Exclude<RateLimitedWhat, 'apiKey'>, string>> = {
  en: {
    requests: 'requests',
    signIn: 'failed sign-ins',
    register: 'sign-ups',
    mail: 'emails requested',
    tokens: 'link redemptions',
    refresh: 'session refreshes',
    passwordChecks: 'password checks',
  },
  // With the article's elision: "Trop d’inscriptions", "Trop de requêtes".
  fr: {
    requests: 'de requêtes',
    signIn: 'd’échecs de connexion',
    register: 'd’inscriptions',
    mail: 'd’e-mails demandés',
    tokens: 'de liens utilisés',
    refresh: 'de renouvellements de session',
    passwordChecks: 'de vérifications de mot de passe',
  },
};

/** A stable snake_case code in `data.reason` of every error: why a request failed. */
export type Reason = keyof typeof errorMessages;

/** Every reason, in catalogue order. */
export const reasons = Object.keys(errorMessages) as Reason[];

export function isReason(value: unknown): value is Reason {
  return typeof value === 'string' && Object.hasOwn(errorMessages, value);
}

/** The parameters a reason's message takes (undefined: none). */
export type ReasonParams<R extends Reason> =
  (typeof errorMessages)[R]['en'] extends Render<infer P> ? P : undefined;

/** `[params]` for reasons whose message takes some, `[]` otherwise. */
export type ReasonParamsArg<R extends Reason> = ReasonParams<R> extends undefined ? [] : [ReasonParams<R>];

/** Whether a reason's message takes parameters (its words then depend on more than the reason). */
export function takesParameters(reason: Reason): boolean {
  return typeof errorMessages[reason].en === 'function';
}

/** A reason's message in `locale`, with its parameters. */
export function errorMessage(reason: Reason, locale: Locale, params?: unknown): string {
  // Each entry's parameters are checked where errors are raised (`ReasonParamsArg`).
  const text = errorMessages[reason][locale] as string | Render<unknown>;
  return finish(locale, typeof text === 'string' ? text : text(params ?? {}, locale));
}
