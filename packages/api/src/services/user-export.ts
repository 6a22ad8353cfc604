import type { Caller, RequestInfo } from '../context.js';
import { actorOf, subjectOf } from './caller.js';
import { authorize } from '../errors.js';
import type { Deps } from '../ports/index.js';
import { user as userSchema, type User } from '../schemas/users.js';
import type { BulkActor } from './import.js';
import { toUser } from './user-view.js';

export const exportFormats = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** Every column of `User`, in its order: what DESIGN.md promises clients, never a hash. */
export const EXPORT_COLUMNS = Object.keys(userSchema.shape) as (keyof User)[];

/** Accounts read per query: memory stays flat whatever the number of users. */
const PAGE_SIZE = 1_000;

/** The MIME type of each format, for HTTP answers. */
export const EXPORT_CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = {
  csv: 'text/csv; charset=utf-8; header=present',
  jsonl: 'application/jsonl; charset=utf-8',
};

/** An admin's export through the API: checked and audited before the first byte. */
export async function exportUsers(
  deps: Deps,
  request: RequestInfo,
  caller: Caller,
  format: ExportFormat,
): Promise<AsyncIterable<string>> {
  authorize(subjectOf(caller), 'users.export');
  const { id, kind } = actorOf(caller);
  return startExport(
    deps,
    { actorId: id, actorKind: kind, ip: request.ip, userAgent: request.userAgent },
    format,
  );
}

/**
 * Every account as CSV (RFC 4180, a header row, CRLF) or JSON Lines, in email order, one page
 * of PAGE_SIZE at a time: each chunk yielded is one page's text. Pages are read one after
 * another rather than in one snapshot, so an account created or deleted during a long export
 * may or may not appear (as with paging through users.list). Audited as `users.export`.
 */
export async function startExport(
  deps: Pick<Deps, 'stores'>,
  by: BulkActor,
  format: ExportFormat,
): Promise<AsyncIterable<string>> {
  await deps.stores.audit.record({
    actorId: by.actorId,
    ...(by.actorKind && { actorKind: by.actorKind }),
    action: 'users.export',
    targetId: null,
    ip: by.ip,
    userAgent: by.userAgent,
    metadata: { format, ...(by.actorId === null && { via: 'cli' }) },
  });
  return pages(deps, format);
}

async function* pages(deps: Pick<Deps, 'stores'>, format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield csvLine(EXPORT_COLUMNS);
  let after: string | undefined;
  for (;;) {
    const page = await deps.stores.users.pageByEmail(after, PAGE_SIZE);
    if (page.length === 0) return;
    let text = '';
    for (const record of page) {
      const user = toUser(record);
      text +=
        format === 'csv'
          ? csvLine(EXPORT_COLUMNS.map((column) => user[column]))
          : `${JSON.stringify(user)}\n`;
    }
    yield text;
    if (page.length < PAGE_SIZE) return;
    after = page.at(-1)!.email;
  }
}

/** One CSV record and its CRLF line end (RFC 4180). */
export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/**
 * One CSV field. A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage
 * return before one) as a formula — a name like `=HYPERLINK(…)` would run on the admin's
 * machine — so such a cell gets a leading apostrophe, which spreadsheets show as text
 * (OWASP's advice). Then a field holding a comma, quote, CR or LF is quoted, quotes doubled.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
