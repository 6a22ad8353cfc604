import { setFlagsFromString } from 'node:v8';

/**
 * How far V8's old generation may grow past what the last full collection kept, in percent.
 * V8 lets it grow up to 4× for a process that allocates steadily, as a long export does
 * (server RSS 145 → 300 MB exporting 1M users, with 47 MB live), and RSS follows. At 50 % it
 * collects in time (peak 175 MB, the export no slower). The collections are incremental and
 * concurrent, and the live heap here is small.
 */
const HEAP_GROWING_PERCENT = 50;

/** For the server and the CLI, before they allocate much: V8 reads the flag at each collection. */
export function boundHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
