import { createReadStream, type ReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
import streamArray from 'stream-json/streamers/stream-array.js';

/** The files `tessera users import` reads. */
export const userFileFormats = ['csv', 'jsonl', 'django'] as const;
export type UserFileFormat = (typeof userFileFormats)[number];

/** One record of a file: its number (from 1, header excluded), the row to import, and what the file said. */
export interface FileRecord {
  number: number;
  /** The ImportRow made from it, or why none could be made. */
  row: Record<string, unknown> | { problem: string };
  source: unknown;
}

/** The format a file name says: .csv, .jsonl / .ndjson, .json (a Django dumpdata file). */
export function formatOfFile(path: string): UserFileFormat | undefined {
  const extension = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  if (extension === 'csv') return 'csv';
  if (extension === 'jsonl' || extension === 'ndjson') return 'jsonl';
  if (extension === 'json') return 'django';
  return undefined;
}

/**
 * The records of a file, read as a stream (memory stays flat whatever its size). `progress`
 * hears how many bytes have been read so far.
 */
export async function* readUserFile(
  path: string,
  format: UserFileFormat,
  progress: (bytesRead: number) => void = () => {},
): AsyncGenerator<FileRecord> {
  const file = createReadStream(path);
  const report = () => progress(file.bytesRead);
  let number = 0;
  if (format === 'csv') {
    // Header names are ImportRow's fields; other columns (a Tessera export's id, createdAt…) are ignored.
    for await (const record of file.pipe(parseCsv({ columns: true, bom: true, skip_empty_lines: true }))) {
      report();
      yield { number: ++number, row: fromCsv(record as Record<string, string>), source: record };
    }
  } else if (format === 'jsonl') {
    for await (const line of createInterface({ input: file, crlfDelay: Infinity })) {
      report();
      if (line.trim() === '') continue;
      number++;
      try {
        const value: unknown = JSON.parse(line);
        yield { number, row: isRecord(value) ? value : { problem: 'Not a JSON object' }, source: value };
      } catch {
        yield { number, row: { problem: 'Not valid JSON' }, source: line };
      }
    }
  } else {
    for await (const item of file.pipe(streamArray.withParserAsStream()) as AsyncIterable<{
      value: unknown;
    }>) {
      report();
      yield { number: ++number, row: fromDjango(item.value), source: item.value };
    }
  }
  report();
  closeQuietly(file);
}

/** CSV cells are text: an empty cell is "not given", booleans are true/false, 1/0 or yes/no. */
function fromCsv(record: Record<string, string>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const field of ['email', 'name', 'role', 'passwordHash', 'locale'])
    if (record[field] !== undefined && record[field] !== '') row[field] = record[field];
  for (const field of ['emailVerified', 'disabled']) {
    const cell = record[field]?.trim().toLowerCase();
    if (cell === undefined || cell === '') continue;
    row[field] = ['true', '1', 'yes'].includes(cell)
      ? true
      : ['false', '0', 'no'].includes(cell)
        ? false
        : cell;
  }
  return row;
}

/**
 * One object of `python manage.py dumpdata auth.user` (or a custom user model): the email;
 * `name`, else first and last name, else the username; the password hash unless Django
 * marked it unusable (`!…`); `is_active` false → disabled; `is_superuser` → admin,
 * `is_staff` → manager, anyone else → user.
 */
export function fromDjango(value: unknown): FileRecord['row'] {
  if (!isRecord(value) || !isRecord(value.fields)) return { problem: 'Not a dumpdata object with "fields"' };
  const f = value.fields;
  const text = (key: string) => {
    const field = f[key];
    return typeof field === 'string' ? field.trim() : '';
  };
  const name = text('name') || `${text('first_name')} ${text('last_name')}`.trim() || text('username');
  const password = text('password');
  return {
    email: f.email,
    name,
    role: f.is_superuser === true ? 'admin' : f.is_staff === true ? 'manager' : 'user',
    ...(password && !password.startsWith('!') && { passwordHash: password }),
    ...(typeof f.is_active === 'boolean' && { disabled: !f.is_active }),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function closeQuietly(file: ReadStream): void {
  if (!file.destroyed) file.destroy();
}
