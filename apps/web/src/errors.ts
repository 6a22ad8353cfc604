import { errorCode, fieldErrors } from '@tessera/client';
import { i18n } from './i18n/index.js';

/** Errors of one form: per field, plus one for the form as a whole. */
export interface FormErrors {
  fields: Record<string, string>;
  form?: string;
}

/** Codes whose server text is not meant for people: the app's own words (`errors.<code>`) instead. */
export const genericCodes = [
  'TOO_MANY_REQUESTS',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
  'FORBIDDEN',
] as const;
const GENERIC: ReadonlySet<string> = new Set(genericCodes);

/** One sentence for a failed call, fit to show. */
export function errorMessage(error: unknown): string {
  return messageFor(errorCode(error), error instanceof Error ? error.message : undefined);
}

/**
 * The sentence for an answer with error `code` (undefined: no answer at all) and the server's
 * `message` (already in the page's language: the client sends Accept-Language); shared by
 * tRPC calls and plain HTTP ones (the users export).
 */
export function messageFor(code: string | undefined, message: string | undefined): string {
  if (!code) return i18n.t('errors.unreachable');
  if (GENERIC.has(code)) return i18n.t(`errors.${code}`);
  return message || i18n.t('errors.unknown');
}

/**
 * Maps a failed call onto a form: the server's `fieldErrors` go to the fields this form
 * has (first message each); anything else becomes the form's message.
 */
export function toFormErrors(error: unknown, fields: readonly string[]): FormErrors {
  const byField = fieldErrors(error) ?? {};
  const result: FormErrors = { fields: {} };
  for (const field of fields) {
    const message = byField[field]?.[0];
    if (message) result.fields[field] = message;
  }
  if (Object.keys(result.fields).length === 0) result.form = errorMessage(error);
  return result;
}
