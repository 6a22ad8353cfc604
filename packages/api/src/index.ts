import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from './routers/root.js';

/** Inputs of every procedure, e.g. `RouterInputs['auth']['login']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Outputs of every procedure, e.g. `RouterOutputs['users']['me']`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export { appRouter, type AppRouter } from './routers/root.js';
export { admitCaller, authenticate, authenticateFor } from './authenticate.js';
export { createCallerFactory, type FlatFieldErrors, type Meta } from './trpc.js';
export type { Actor, Caller, Context, KeyActor, RefreshCookie, RequestInfo } from './context.js';
export * from './ports/index.js';
export * from './schemas/index.js';
export { can, type Action, type Subject } from './policy.js';
export { passwordProblem, PASSWORD_MAX_LENGTH, type PasswordProblem } from './password-policy.js';
export { API_KEY_PREFIX, hashToken, newOpaqueToken } from './secrets.js';
export { toUser } from './services/user-view.js';
export { emit as emitUserEvent } from './services/events.js';
export { BATCH_REFUSED, runImport, type BulkActor } from './services/import.js';
export {
  csvCell,
  csvLine,
  EXPORT_COLUMNS,
  EXPORT_CONTENT_TYPES,
  exportFormats,
  exportUsers,
  startExport,
  type ExportFormat,
} from './services/user-export.js';
export {
  parsePasswordHash,
  PASSWORD_HASH_CEILINGS,
  type ParsedPasswordHash,
  type PasswordHashFormat,
} from './password-hashes.js';
export { MAX_REFRESH_ROTATIONS } from './services/sessions.js';
export { apiError, REASON_BY_CODE, reasonOf, type Reason } from './errors.js';
export {
  errorMessage,
  isReason,
  reasons,
  takesParameters,
  type RateLimitedWhat,
  type ReasonParams,
  type ReasonParamsArg,
} from './i18n/error-messages.js';
export { fieldMessageKeys, issueMessage } from './i18n/field-messages.js';
export { policyRules } from './i18n/policy-refusals.js';
export { duration, frenchTypography } from './i18n/format.js';
export { isLocale, locales, negotiateLocale, type Locale } from './i18n/locales.js';
export { mailTemplates, type MailTemplateName } from './mail/templates.js';
export { messageIn } from './errors.js';
