import { z } from 'zod';
import { field } from '../i18n/field-messages.js';
import { PASSWORD_HASH_MAX_LENGTH, parsePasswordHash } from '../password-hashes.js';
import { email, locale, name } from './common.js';
import { role } from './users.js';

/** Rows one import call takes; the CLI sends bigger files in batches of this size. */
export const IMPORT_BATCH_MAX = 1_000;

/** What an existing email does to its row: left alone, updated from the row, or the whole batch refused. */
export const importConflictModes = ['skip', 'update', 'fail'] as const;
export type ImportConflictMode = (typeof importConflictModes)[number];

/**
 * One account to import, with the rules every path that creates an account applies (the
 * same email and name rules). `passwordHash` is the other system's hash, in a format
 * parsePasswordHash recognises; without one the account has no password (its owner sets one
 * through "forgot password"). A field left out keeps an existing account's value on
 * `onConflict: "update"`; a new account gets role `user`, unverified, enabled.
 */
export const importRow = z.object({
  email,
  name,
  role: role.optional(),
  passwordHash: z
    .string()
    .max(PASSWORD_HASH_MAX_LENGTH, `Password hash must be at most ${PASSWORD_HASH_MAX_LENGTH} characters`)
    .superRefine((hash, ctx) => {
      const parsed = parsePasswordHash(hash);
      if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
    })
    .nullish(),
  emailVerified: z.boolean(field('boolean_expected')).optional(),
  disabled: z.boolean(field('boolean_expected')).optional(),
  locale: locale.optional(),
});
export type ImportRow = z.input<typeof importRow>;
export type ValidImportRow = z.output<typeof importRow>;

/** ImportRow as JSON Schema, for the OpenAPI document (zod's own conversion, as input). */
function importRowJsonSchema(): Record<string, unknown> {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(importRow, { io: 'input', unrepresentable: 'any' });
  return schema;
}

/**
 * A row as it travels: any JSON value, checked one by one by `importRow` in the service, so
 * one bad row is an entry in `errors` rather than a refusal of the other 999. Typed (and
 * documented in OpenAPI) as ImportRow.
 */
const importRowAsSent = z
  .custom<ImportRow>(() => true)
  // zod-openapi renders `override` in place of the schema it cannot see into: ImportRow's own.
  .meta({ override: importRowJsonSchema() } as Record<string, unknown>);

export const importUsersInput = z.object({
  rows: z
    .array(importRowAsSent)
    .min(1, field('rows_required'))
    .max(IMPORT_BATCH_MAX, `At most ${IMPORT_BATCH_MAX} rows per call; send bigger files in batches`),
  /** Check every row and report what would happen; nothing is written. */
  dryRun: z.boolean().default(false),
  /** What an email that already has an account does (default `fail`). */
  onConflict: z.enum(importConflictModes).default('fail'),
});
export type ImportUsersInput = z.infer<typeof importUsersInput>;

/** One refused row: its index in `rows` (from 0), the field at fault, and why. */
export const importError = z.object({ row: z.number().int(), field: z.string(), message: z.string() });
export type ImportError = z.infer<typeof importError>;

export const importResult = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  skipped: z.number().int(),
  errors: z.array(importError),
});
export type ImportResult = z.infer<typeof importResult>;
