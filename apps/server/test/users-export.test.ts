import { EXPORT_COLUMNS } from '@tessera/api';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { signUp, USER_FIELDS, type SignedIn } from './helpers/accounts.js';
import { perFile } from './helpers/per-file.js';
import { startTestServer } from './helpers/server.js';

const server = perFile(() => startTestServer());
let admin: SignedIn;

const HOSTILE_NAMES = [
  '=HYPERLINK("http://evil.example","x")',
  '+SUM(1,2)',
  '-2+3',
  '@cmd',
  'Quote "inside", and comma',
  'Ünïcode 名前',
];

beforeAll(async () => {
  admin = await signUp(server, { role: 'admin', prefix: 'export-admin' });
  await admin.client.users.import.mutate({
    rows: HOSTILE_NAMES.map((name, i) => ({ email: `hostile-${i}@example.com`, name })),
  });
});

const download = (query: string, token = admin.token) =>
  fetch(`${server.url}/api/users/export${query}`, { headers: { authorization: `Bearer ${token}` } });

describe('GET /api/users/export', () => {
  it('is CSV by default: RFC 4180, every User column, no hash, formulas defused', async () => {
    const response = await download('');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="tessera-users-.*\.csv"$/,
    );
    const text = await response.text();
    expect(text.split('\r\n')[0]).toBe(EXPORT_COLUMNS.join(','));
    expect([...EXPORT_COLUMNS].sort()).toEqual(USER_FIELDS);
    expect(text).not.toMatch(/argon2|password/i);
    const records = parse<Record<string, string>>(text, { columns: true });
    const names = records.filter((r) => r.email!.startsWith('hostile-')).map((r) => r.name);
    expect(names).toEqual([
      `'=HYPERLINK("http://evil.example","x")`,
      `'+SUM(1,2)`,
      `'-2+3`,
      `'@cmd`,
      'Quote "inside", and comma',
      'Ünïcode 名前',
    ]);
    // Quoting as RFC 4180 has it: the field in quotes, inner quotes doubled.
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    const me = records.find((r) => r.email === admin.email)!;
    expect(me).toMatchObject({ role: 'admin', disabled: 'false', pendingEmail: '' });
  });

  it('writes JSON Lines: one User per line', async () => {
    const response = await download('?format=jsonl');
    expect(response.headers.get('content-type')).toMatch(/^application\/jsonl/);
    const lines = (await response.text())
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as object);
    expect(lines.length).toBeGreaterThanOrEqual(HOSTILE_NAMES.length + 1);
    for (const line of lines) expect(Object.keys(line).sort()).toEqual(USER_FIELDS);
    expect(lines).toContainEqual(expect.objectContaining({ name: HOSTILE_NAMES[0] }));
  });

  it('streams more accounts than one page, each once', async () => {
    await admin.client.users.import.mutate({
      rows: Array.from({ length: 1_000 }, (_, i) => ({
        email: `page-${String(i).padStart(4, '0')}@example.com`,
        name: 'P',
      })),
    });
    const lines = (await (await download('?format=jsonl')).text()).trimEnd().split('\n');
    const emails = lines.map((line) => (JSON.parse(line) as { email: string }).email);
    expect(emails.length).toBeGreaterThan(1_000);
    expect(new Set(emails).size).toBe(emails.length);
  });

  it('refuses a bad format (400), no token (401), and managers and users (403)', async () => {
    const bad = await download('?format=xlsx');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'BAD_REQUEST', data: { reason: 'invalid_input' } });
    const anonymous = await fetch(`${server.url}/api/users/export`);
    expect(anonymous.status).toBe(401);
    for (const role of ['manager', 'user'] as const) {
      const caller = await signUp(server, { role, prefix: `export-${role}` });
      const refused = await download('', caller.token);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ code: 'FORBIDDEN', data: { reason: 'forbidden' } });
    }
  });

  it('is audited, and listed in the OpenAPI document', async () => {
    const event = await server.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'users.export')
      .where('actor_id', '=', admin.id)
      .executeTakeFirst();
    expect(event?.metadata).toMatchObject({ format: 'csv' });
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    expect(document.paths['/users/export']?.get?.security).toEqual([{ bearerAuth: [] }]);
    expect(document.paths['/users/import']?.post).toBeDefined();
  });
});
