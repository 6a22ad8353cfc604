import { readFileSync } from 'node:fs';

export interface RssSampler {
  /** Stops sampling; the largest VmRSS seen, in bytes (0 if the process was never readable). */
  stop(): number;
}

/** Samples a process's resident set size from /proc/<pid>/status every `intervalMs`. */
export function sampleRss(pid: number, intervalMs = 100): RssSampler {
  let max = readRss(pid);
  const timer = setInterval(() => {
    max = Math.max(max, readRss(pid));
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(max, readRss(pid));
    },
  };
}

/** VmRSS in bytes, or 0 when the process is gone or /proc is not there (not Linux). */
export function readRss(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
