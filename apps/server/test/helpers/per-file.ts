import { afterAll, beforeAll } from 'vitest';

/**
 * Starts something once before a test file's (or describe block's) tests and stops it after
 * them, so a file says what it needs in one line. Returns a stand-in for the started object,
 * readable from tests and hooks once it has started.
 */
export function perFile<T extends { close(): Promise<void> }>(start: () => Promise<T>): T;
export function perFile<T extends object>(start: () => Promise<T>, stop: (started: T) => Promise<void>): T;
export function perFile<T extends object>(
  start: () => Promise<T>,
  stop: (started: T) => Promise<void> = (started) =>
    (started as unknown as { close(): Promise<void> }).close(),
): T {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  });
  afterAll(async () => {
    if (started) await stop(started);
  });
  // The object does not exist when the file is collected, only once beforeAll has run.
  return new Proxy({} as T, {
    get(_target, key) {
      if (!started) throw new Error(`read before it started (${String(key)}): use it inside a test or hook`);
      return Reflect.get(started, key) as unknown;
    },
  });
}
