import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type SignedIn } from './helpers/accounts.js';
import { perFile } from './helpers/per-file.js';
import { startTestServer } from './helpers/server.js';

/**
 * The README's "From another service" section, run as written: its code blocks are read out
 * of README.md, the TypeScript ones run with tsx against the built @tessera/client (as a
 * service that installed it would), the shell one with bash, curl and jq.
 */
const readme = readFileSync(resolve(import.meta.dirname, '../../../README.md'), 'utf8');
const section = readme.slice(
  readme.indexOf('## From another service'),
  readme.indexOf('\n## ', readme.indexOf('## From another service') + 5),
);
const blocks = [...section.matchAll(/```(ts|sh)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], code: m[2]! }));
const [clientBlock, curlBlock, receiverBlock] = [
  blocks.find((b) => b.lang === 'ts' && b.code.includes('createClient'))!,
  blocks.find((b) => b.lang === 'sh')!,
  blocks.find((b) => b.lang === 'ts' && b.code.includes('verifyWebhook'))!,
];

// Under node_modules so `@tessera/client` resolves to the package as built, and git ignores it.
const work = resolve(import.meta.dirname, '../node_modules/.readme-from-another-service');
const server = perFile(() =>
  startTestServer({
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_POLL_INTERVAL_MS: '20',
    WEBHOOK_RETRY_BASE_MS: '50',
  }),
);
let admin: SignedIn;
let receiver: ChildProcess | undefined;
let receiverOutput = '';

beforeAll(async () => {
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n');
  admin = await signUp(server, { role: 'admin', prefix: 'readme-admin' });
});
afterAll(() => {
  receiver?.kill();
  rmSync(work, { recursive: true, force: true });
});

function runTs(name: string, code: string, env: Record<string, string>) {
  writeFileSync(join(work, name), code);
  return spawn(process.execPath, ['--import', 'tsx', name], { cwd: work, env: { ...process.env, ...env } });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const address = probe.address();
  await new Promise((done) => probe.close(done));
  return typeof address === 'object' && address ? address.port : 0;
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 25));
  }
}

describe('README: From another service', () => {
  it('has the three blocks', () => {
    expect([clientBlock, curlBlock, receiverBlock].every(Boolean)).toBe(true);
  });

  it('the curl session creates a key, uses it, subscribes an endpoint, reads its log and revokes the key', async () => {
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', curlBlock.code], {
      env: {
        ...process.env,
        TESSERA: server.url,
        ADMIN_ACCESS: admin.token,
        // Nothing listens there: this endpoint only shows the calls (deleted below).
        RECEIVER_URL: 'http://127.0.0.1:9/hooks/tessera',
      },
    });
    expect(stdout.trim().split('\n')).toEqual([expect.stringMatching(/^\d+$/), '0', 'true', '401']);
    for (const webhook of await admin.client.webhooks.list.query())
      await admin.client.webhooks.delete.mutate({ id: webhook.id });
  });

  it('the typed client with a key, and the ten-line receiver hearing of the user it created', async () => {
    const port = await freePort();
    const { secret } = await admin.client.webhooks.create.mutate({
      url: `http://127.0.0.1:${port}/`,
      events: ['user.created'],
    });
    receiver = runTs('receiver.ts', receiverBlock.code, {
      TESSERA_WEBHOOK_SECRET: secret,
      PORT: String(port),
    });
    receiver.stdout?.on('data', (chunk: Buffer) => (receiverOutput += chunk.toString()));
    // Listening once an unsigned request is answered (400).
    let listening = false;
    await until(() => {
      fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' }).then(
        (response) => (listening = response.status === 400),
        () => {},
      );
      return listening;
    }, 'the receiver to listen');

    const key = await admin.client.apiKeys.create.mutate({ name: 'readme', role: 'manager' });
    const client = runTs('client.ts', clientBlock.code, {
      TESSERA_URL: server.url,
      TESSERA_API_KEY: key.secret,
    });
    let clientOutput = '';
    client.stdout?.on('data', (chunk: Buffer) => (clientOutput += chunk.toString()));
    client.stderr?.on('data', (chunk: Buffer) => (clientOutput += chunk.toString()));
    await new Promise((done) => client.on('exit', done));
    expect(clientOutput).toMatch(/^\d+ grace@example\.com\napi_key_not_allowed\n$/);

    await until(() => receiverOutput.includes('user.created grace@example.com'), 'the receiver');
  }, 60_000);
});
