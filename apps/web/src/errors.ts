import { errorCode, fieldErrors } from '@tessera/client';

/** Errors of one form: per field, plus one for the form as a whole. */
export interface FormErrors {
  fields: Record<string, string>;
  form?: string;
}

/** Messages for codes whose server text is not meant for people. */
const GENERIC: Partial<Record<string, string>> = {
  TOO_MANY_REQUESTS: 'Too many attempts. Wait a little and try again.',
  SERVICE_UNAVAILABLE: 'Tessera is temporarily unavailable. Try again shortly.',
  INTERNAL_SERVER_ERROR: 'Something went wrong on our side. Try again shortly.',
  FORBIDDEN: 'You are not allowed to do this.',
};

/** One sentence for a failed call, fit to show. */
export function errorMessage(error: unknown): string {
  return messageFor(errorCode(error), error instanceof Error ? error.message : undefined);
}

/**
 * The sentence for an answer with error `code` (undefined: no answer at all) and the server's
 * `message`; shared by tRPC calls and plain HTTP ones (the users export).
 */
export function messageFor(code: string | undefined, message: string | undefined): string {
  if (!code) return 'Could not reach Tessera. Check your connection and try again.';
  return GENERIC[code] ?? (message || 'Something went wrong.');
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
