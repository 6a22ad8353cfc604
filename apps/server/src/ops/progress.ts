import cliProgress from 'cli-progress';
import type { ImportFileOptions } from './import-file.js';

/**
 * A progress bar on standard error (standard output keeps the summary), measured in bytes of
 * the file read, since a stream's row count is known only at its end. Nothing is drawn when
 * standard error is not a terminal (a script, a CI log).
 */
export function progressBar(): NonNullable<ImportFileOptions['progress']> {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'Importing |{bar}| {percentage}% | {rows} rows | {eta_formatted} left',
      hideCursor: true,
      noTTYOutput: false,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (totalBytes) => bar.start(Math.max(1, totalBytes), 0, { rows: 0 }),
    update: (bytesRead, rows) => bar.update(bytesRead, { rows }),
    stop: () => bar.stop(),
  };
}
