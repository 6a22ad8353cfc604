import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, userRow, type SignedIn } from '../helpers/accounts.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail, type TestServer } from '../helpers/server.js';

// One rule for a display name on every path that takes one. Before it, a lone surrogate was
// stored as U+FFFD by sign-up and create, but failed the audit log's JSON on update (500).
const HOSTILE: Record<string, string> = {
  'lone high surrogate': '\ud800',
  'lone low surrogate': 'Ada \udc00',
  'reversed surrogate pair': '\ude00\ud83d',
  NUL: 'Ada\u0000Lovelace',
  'bell (C0)': 'Ada\u0007',
  DEL: 'Ada\u007f',
  'next line (C1)': 'Ada\u0085Lovelace',
  'line feed inside': 'Ada\nLovelace',
  'line separator': 'Ada\u2028Lovelace',
  'only spaces': '   \t  ',
  '101 characters': 'x'.repeat(101),
  '101 emoji': '😀'.repeat(101),
};

let server: TestServer;
let admin: SignedIn;
let user: SignedIn;

beforeAll(async () => {
  server = await startTestServer();
  admin = await signUp(server, { role: 'admin' });
  user = await signUp(server);
});
afterAll(async () => {
  await server?.close();
});

interface Answer {
  status: number;
  body: {
    error?: { data?: { fieldErrors?: Record<string, string[]> } };
    data?: { fieldErrors?: Record<string, string[]> };
    name?: string;
    user?: { name?: string };
    result?: { data?: { name?: string; user?: { name?: string } } };
  };
}

/** Sends `name` on one path as raw JSON (JSON.stringify escapes a lone surrogate as \ud800, which JSON.parse restores). */
async function send(path: string, name: string): Promise<Answer> {
  const [method, url, body, token] = request(path, name);
  const response = await fetch(`${server.url}${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const PATHS = [
  'trpc auth.register',
  'trpc users.create',
  'trpc users.update',
  'trpc users.updateMe',
  'rest POST /api/auth/register',
  'rest POST /api/users',
  'rest PATCH /api/users/{id}',
  'rest PATCH /api/users/me',
] as const;

function request(path: (typeof PATHS)[number] | string, name: string): [string, string, unknown, string?] {
  const password = STRONG_PASSWORD;
  switch (path) {
    case 'trpc auth.register':
      return ['POST', '/trpc/auth.register', { name, email: uniqueEmail('named'), password }];
    case 'trpc users.create':
      return ['POST', '/trpc/users.create', { name, email: uniqueEmail('named'), password }, admin.token];
    case 'trpc users.update':
      return ['POST', '/trpc/users.update', { id: user.id, name }, admin.token];
    case 'trpc users.updateMe':
      return ['POST', '/trpc/users.updateMe', { name }, user.token];
    case 'rest POST /api/auth/register':
      return ['POST', '/api/auth/register', { name, email: uniqueEmail('named'), password }];
    case 'rest POST /api/users':
      return ['POST', '/api/users', { name, email: uniqueEmail('named'), password }, admin.token];
    case 'rest PATCH /api/users/{id}':
      return ['PATCH', `/api/users/${user.id}`, { name }, admin.token];
    default:
      return ['PATCH', '/api/users/me', { name }, user.token];
  }
}

const nameErrors = (answer: Answer) =>
  answer.body.error?.data?.fieldErrors?.name ?? answer.body.data?.fieldErrors?.name;

const storedName = (answer: Answer) =>
  answer.body.result?.data?.user?.name ??
  answer.body.result?.data?.name ??
  answer.body.user?.name ??
  answer.body.name;

describe('display names', () => {
  it.each(PATHS)('%s: every hostile name is a 400 on the name field, never a 500', async (path) => {
    const before = (await userRow(server, user.id))?.name;
    for (const [label, name] of Object.entries(HOSTILE)) {
      const answer = await send(path, name);
      expect({ label, status: answer.status }).toEqual({ label, status: 400 });
      expect(nameErrors(answer)?.length, label).toBeGreaterThan(0);
    }
    expect((await userRow(server, user.id))?.name).toBe(before);
  });

  it.each(PATHS)('%s: stores a name the same way as every other path', async (path) => {
    const cases: [string, string][] = [
      ['  Ada Lovelace  ', 'Ada Lovelace'],
      // NFC: a decomposed é is stored composed, whatever path it came by.
      ['Zoe\u0301 Ünal', 'Zoé Ünal'],
      ['👩‍💻 Grace', '👩‍💻 Grace'],
      ['😀'.repeat(100), '😀'.repeat(100)],
      ['محمد', 'محمد'],
    ];
    for (const [sent, stored] of cases) {
      const answer = await send(path, sent);
      expect(answer.status).toBeLessThan(300);
      expect(storedName(answer)).toBe(stored);
    }
  });

  it('the CLI takes a name by the same rule', async () => {
    const run = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(
        process.execPath,
        [
          '--conditions=development',
          '--import',
          'tsx',
          'src/cli.ts',
          'create-admin',
          '--email',
          uniqueEmail('cli'),
          '--name',
          'Ops\u0007Team',
        ],
        { cwd: resolve(import.meta.dirname, '../..'), env: { ...process.env, LOG_LEVEL: 'silent' } },
      );
      child.stdin.end();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => done({ code, stderr }));
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--name: Name must be one line without control characters.');
  });
});
