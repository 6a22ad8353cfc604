/**
 * The rules clients run as well as the server: the role policy and the audit vocabulary.
 * Nothing reachable from here imports tRPC's server or zod, so @tessera/client bundles it
 * into its own dist and the web app reads it from there.
 */
export {
  allowedBeforeMfaEnrollment,
  can,
  creatableRoles,
  decide,
  mfaEnrollmentRequired,
  roles,
} from './policy.js';
export type { Action, Decision, Role, Subject, Target } from './policy.js';
export { auditActions, type AuditAction } from './audit-actions.js';
export { webhookEvents, type WebhookEventType } from './webhook-events.js';
export { isLocale, locales, negotiateLocale, type Locale } from './i18n/locales.js';
