import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** One load run, as the worker receives it on its command line. */
export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Request bodies, handed out round-robin (one user per connection, say). */
  bodies?: string[];
  /**
   * Refresh tokens, one per connection: each connection follows its own rotation chain,
   * sending `{ refreshToken }` and then the refresh token each answer hands back (a token
   * sent twice would be taken for a replay and end the session).
   */
  refreshChains?: string[];
  connections: number;
  durationSeconds: number;
  /**
   * Stop after this many answers instead of after `durationSeconds`: every request sent is
   * answered, none is cut off mid-flight when the clock runs out.
   */
  amount?: number;
}

/** What a run measured; rates and latencies count 2xx answers only. */
export interface LoadResult {
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; average: number; max: number };
  ok: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  /** CPU the load generator itself used (user + system), to tell its share from the server's. */
  loadGeneratorCpuSeconds: number;
}

const worker = fileURLToPath(new URL('./load-worker.ts', import.meta.url));
const run = promisify(execFile);

/**
 * Runs autocannon in a child process: on a 2-core machine the load generator must not share
 * an event loop (or a libuv pool) with anything it measures.
 */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', worker, JSON.stringify(spec)], {
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout) as LoadResult;
}
