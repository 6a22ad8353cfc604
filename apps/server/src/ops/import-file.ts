import { createWriteStream, statSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import {
  BATCH_REFUSED,
  IMPORT_BATCH_MAX,
  runImport,
  type BulkActor,
  type Deps,
  type ImportConflictMode,
  type ImportRow,
} from '@tessera/api';
import { readUserFile, type FileRecord, type UserFileFormat } from './user-files.js';

export interface ImportFileOptions {
  path: string;
  format: UserFileFormat;
  dryRun: boolean;
  onConflict: ImportConflictMode;
  /** Where refused rows go, one JSON line each: `{ row, field, message, data }`. Created only if needed. */
  rejectedPath: string;
  /** Told the file's size, then the bytes read so far after each batch. */
  progress?: { start(totalBytes: number): void; update(bytesRead: number, rows: number): void; stop(): void };
}

export interface ImportFileSummary {
  rows: number;
  created: number;
  updated: number;
  skipped: number;
  rejected: number;
  /** Under `onConflict: fail`: the record number of the first batch refused (nothing from it on was written). */
  stoppedAt?: number;
}

/** The CLI as an importer: the operator, no account. */
const OPERATOR: BulkActor = { actorId: null, ip: null, userAgent: 'tessera-cli' };

/**
 * Imports a file in batches of IMPORT_BATCH_MAX, each one transaction through the same
 * runImport as users.import, so a file gets the rules an API caller gets. The file is read
 * as a stream: one batch is in memory at a time.
 */
export async function importFile(
  deps: Pick<Deps, 'transact' | 'clock' | 'settings'>,
  options: ImportFileOptions,
): Promise<ImportFileSummary> {
  const summary: ImportFileSummary = { rows: 0, created: 0, updated: 0, skipped: 0, rejected: 0 };
  let rejected: WriteStream | undefined;
  const reject = async (record: FileRecord, field: string, message: string) => {
    summary.rejected++;
    rejected ??= createWriteStream(options.rejectedPath);
    if (!rejected.write(`${JSON.stringify({ row: record.number, field, message, data: record.source })}\n`))
      await once(rejected, 'drain');
  };
  let bytesRead = 0;
  options.progress?.start(statSync(options.path).size);

  const send = async (batch: FileRecord[]): Promise<boolean> => {
    const sendable: FileRecord[] = [];
    for (const record of batch) {
      if ('problem' in record.row) await reject(record, 'row', String(record.row.problem));
      else sendable.push(record);
    }
    summary.rows += batch.length;
    if (sendable.length > 0) {
      const result = await runImport(deps, OPERATOR, {
        rows: sendable.map((record) => record.row as ImportRow),
        dryRun: options.dryRun,
        onConflict: options.onConflict,
      });
      summary.created += result.created;
      summary.updated += result.updated;
      summary.skipped += result.skipped;
      for (const error of result.errors) await reject(sendable[error.row]!, error.field, error.message);
      if (result.errors.some((error) => error.message === BATCH_REFUSED)) {
        summary.stoppedAt = batch[0]!.number;
        return false;
      }
    }
    options.progress?.update(bytesRead, summary.rows);
    return true;
  };

  try {
    let batch: FileRecord[] = [];
    for await (const record of readUserFile(options.path, options.format, (n) => (bytesRead = n))) {
      batch.push(record);
      if (batch.length < IMPORT_BATCH_MAX) continue;
      if (!(await send(batch))) return summary;
      batch = [];
    }
    if (batch.length > 0) await send(batch);
    return summary;
  } finally {
    options.progress?.stop();
    if (rejected) {
      rejected.end();
      await once(rejected, 'close');
    }
  }
}
