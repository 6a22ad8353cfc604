import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeMigratedTemplate } from '@tessera/db/testing';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated PGlite data directory (a tarball) each test file loads a copy of; unset on PostgreSQL. */
    pgliteTemplate?: string;
  }
}

/**
 * vitest globalSetup: migrates one PGlite before the suite, so that each test file loads a
 * copy (a second or two) instead of running initdb and every migration in WASM again.
 */
export async function setup(project: TestProject): Promise<() => void> {
  if (process.env.TEST_DATABASE_URL) return () => {};
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pglite-template-'));
  const path = join(dir, 'migrated.tar');
  await writeMigratedTemplate(path);
  project.provide('pgliteTemplate', path);
  return () => rmSync(dir, { recursive: true, force: true });
}
