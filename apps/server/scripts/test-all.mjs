// `npm test`'s last step: every package's tests on embedded PGlite and, when TEST_DATABASE_URL
// names a PostgreSQL server, the packages that reach a database (server, db) once more on it.
// The others (api, client, react, web) never open one, so a second pass would repeat them
// byte for byte; so would the server's browser and rate-limit tests (its vitest.config.ts
// lists them), which then run in the PostgreSQL pass only, where the database's work happens
// outside the test process (on PGlite it is WASM in it: the same file costs about twice the
// CPU). Every package runs, and both passes, even after a failure (turbo --continue); the exit
// code is non-zero if anything failed.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import process from 'node:process';

const { TEST_DATABASE_URL, TEST_PGBOUNCER_URL, ...embedded } = process.env;

function pass(title, env, filters) {
  console.log(`\n== ${title}\n`);
  const turbo = spawnSync('turbo', ['run', 'test', '--concurrency=1', '--continue', ...filters], {
    stdio: 'inherit',
    env,
    shell: process.platform === 'win32',
  });
  return turbo.status === 0;
}

const results = [
  pass(
    'tests on embedded PGlite',
    TEST_DATABASE_URL ? { ...embedded, TEST_SKIP_ENGINE_INDEPENDENT: '1' } : embedded,
    [],
  ),
];
if (TEST_DATABASE_URL)
  results.push(
    pass(
      `tests that reach a database, on PostgreSQL (${TEST_DATABASE_URL.replace(/\/\/[^@/]*@/, '//…@')})` +
        (TEST_PGBOUNCER_URL ? ', and through PgBouncer' : ''),
      process.env,
      ['--filter=@tessera/server', '--filter=@tessera/db'],
    ),
  );
process.exit(results.every(Boolean) ? 0 : 1);
