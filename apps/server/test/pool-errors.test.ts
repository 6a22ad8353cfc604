import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { createTestDatabase, testEngine } from './helpers/database.js';

// Only PostgreSQL has backends to end; PGlite runs in the process.
describe.runIf(testEngine === 'postgres')('a pooled connection dropped while idle', () => {
  const APPLICATION = 'tessera-pool-errors-test';
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: FastifyInstance;
  let dataDir: string;
  const logs: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-pool-'));
    const url = new URL(database.url!);
    // Names this app's connections, so the test ends those and not the helper's.
    url.searchParams.set('application_name', APPLICATION);
    // The app opens the database itself (no override), the way production does.
    const config = parseConfig({
      DATABASE_URL: url.toString(),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      PORT: '0',
    });
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        logs.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    app = await buildApp(config, { logStream });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is logged, and the server keeps answering on a new connection', async () => {
    expect((await app.inject('/readyz')).statusCode).toBe(200);

    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ ended: boolean }>(
        'select pg_terminate_backend(pid) as ended from pg_stat_activity where application_name = $1',
        [APPLICATION],
      );
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }

    await vi.waitFor(
      () => expect(logs.some((line) => line.includes('connection lost while idle'))).toBe(true),
      {
        timeout: 5_000,
      },
    );
    const line = JSON.parse(logs.find((l) => l.includes('connection lost while idle'))!) as {
      level: number;
      err: { message: string; code?: string };
    };
    expect(line.level).toBe(50);
    // 57P01: admin_shutdown, what a restart or pg_terminate_backend sends.
    expect(line.err.code).toBe('57P01');
    expect((await app.inject('/readyz')).statusCode).toBe(200);
  });
});
