import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Files whose subject does not depend on the database engine: the browser tests drive pages
 * whose every procedure is tested on both engines by the API tests, and the per-address
 * limits count in memory or Redis, never in the database. `npm test` runs them once: on
 * PostgreSQL when TEST_DATABASE_URL is set (test-all.mjs then sets TEST_SKIP_ENGINE_INDEPENDENT
 * for the PGlite pass), else on PGlite.
 */
const ENGINE_INDEPENDENT = ['test/e2e/**', 'test/security/throttling*.test.ts'];

export default defineConfig({
  resolve: { conditions: ['development'] },
  ssr: { resolve: { conditions: ['development'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: [
      ...configDefaults.exclude,
      ...(process.env.TEST_SKIP_ENGINE_INDEPENDENT ? ENGINE_INDEPENDENT : []),
    ],
    globalSetup: ['test/helpers/pglite-template.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Each file opens its own database; PGlite is memory-hungry, so keep files few at once.
    maxWorkers: 2,
    // Files share a worker's module graph: each loaded the whole server again before (a third
    // of the suite's time). No test changes module state (no vi.mock, no process.env writes);
    // each file starts its own app, database and mail sink.
    isolate: false,
  },
});
