import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { STRONG_PASSWORD } from './helpers/server.js';
import { builtEntry } from './helpers/cli.js';

const SERVER_DIR = resolve(import.meta.dirname, '..');
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** A stand-in OTLP/HTTP collector: keeps every span it is sent (the JSON encoding). */
let collector: Server;
const spans: Span[] = [];
let database: TestDatabase | undefined;
let dataDir: string;

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const message = JSON.parse(body) as {
          resourceSpans: { scopeSpans: { spans: Span[] }[] }[];
        };
        for (const resource of message.resourceSpans)
          for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((done) => collector.listen(0, '127.0.0.1', done));
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-tracing-'));
  if (process.env.TEST_DATABASE_URL) database = await createTestDatabase();
});
afterAll(async () => {
  collector.close();
  await database?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A port free a moment ago (main.ts prints its PUBLIC_URL, not the port it got from 0). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise((done) => probe.close(done));
  return port;
}

describe('traces over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT)', { timeout: 180_000 }, () => {
  it("go out as request → procedure → SQL, continuing the caller's traceparent", async () => {
    const port = await freePort();
    const collectorPort = (collector.address() as AddressInfo).port;
    // The real entry point, as deployed: tracing must start before the app loads pg.
    const child = spawn(process.execPath, [builtEntry('main')], {
      cwd: SERVER_DIR,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        ARGON2_MEMORY_KIB: '8192',
        ARGON2_TIME_COST: '1',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
        ...(database?.url ? { DATABASE_URL: database.url } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((done) => child.on('close', done));
    await new Promise<void>((ready, fail) => {
      child.stdout.on('data', (chunk) => {
        output += chunk;
        if (output.includes('Tessera is ready')) ready();
      });
      child.stderr.on('data', (chunk) => (output += chunk));
      void exited.then(() => fail(new Error(`the server stopped:\n${output}`)));
    });

    const response = await fetch(`http://127.0.0.1:${port}/trpc/auth.register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` },
      body: JSON.stringify({ name: 'Traced', email: 'traced@example.com', password: STRONG_PASSWORD }),
    });
    expect(response.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const trace = spans.filter((span) => span.traceId === TRACE_ID);
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const ancestors = (span: Span): string[] => {
      const names: string[] = [];
      for (
        let at = span.parentSpanId && byId.get(span.parentSpanId);
        at;
        at = at.parentSpanId && byId.get(at.parentSpanId)
      )
        names.push(at.name);
      return names;
    };
    const request = trace.find((span) => span.name === 'request');
    expect(request?.parentSpanId).toBe(CALLER_SPAN);
    const procedure = trace.find((span) => span.name === 'procedure auth.register');
    expect(procedure && ancestors(procedure)).toContain('request');
    const insert = trace.find((span) => span.name.startsWith('pg.query:INSERT'));
    expect(insert && ancestors(insert).slice(0, 1)).toEqual(['procedure auth.register']);
  });
});
