import { tokensOf } from './helpers/accounts.js';
import { pbkdf2Sync } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { BATCH_REFUSED, type ImportRow, type RouterOutputs } from '@tessera/api';
import { errorCode, errorReason } from '@tessera/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMPORT_BODY_LIMIT_BYTES } from '../src/app.js';
import { signUp, type SignedIn } from './helpers/accounts.js';
import { perFile } from './helpers/per-file.js';
import { rejection, startTestServer, uniqueEmail } from './helpers/server.js';

type ImportResult = RouterOutputs['users']['import'];

const server = perFile(() => startTestServer());
let admin: SignedIn;

beforeAll(async () => {
  admin = await signUp(server, { role: 'admin', prefix: 'import-admin' });
});

const importRows = (
  rows: ImportRow[],
  options: { dryRun?: boolean; onConflict?: 'skip' | 'update' | 'fail' } = {},
) => admin.client.users.import.mutate({ rows, ...options });

/** Django's pbkdf2_sha256 made with node:crypto (checked against Django's vectors in foreign-hashes.test.ts). */
function djangoPbkdf2(password: string, iterations = 20_000) {
  const salt = 'p4mPbYz1dU3k';
  return `pbkdf2_sha256$${iterations}$${salt}$${pbkdf2Sync(password, salt, iterations, 32, 'sha256').toString('base64')}`;
}

const row = (overrides: Partial<ImportRow> = {}): ImportRow => ({
  email: uniqueEmail('imported'),
  name: 'Imported Person',
  ...overrides,
});

async function storedHash(email: string) {
  const found = await server.database.db
    .selectFrom('users')
    .select('password_hash')
    .where('email', '=', email)
    .executeTakeFirst();
  return found?.password_hash;
}

describe('users.import: sign-in with the old password, then argon2id', () => {
  it('signs in with a bcrypt and a Django PBKDF2 password and rehashes them at that moment', async () => {
    const bcryptRow = row({ passwordHash: await bcryptHash('old bcrypt pw', { cost: 4 }) });
    const djangoRow = row({ passwordHash: djangoPbkdf2('short') }); // shorter than today's policy: still theirs
    const result = await importRows([bcryptRow, djangoRow]);
    expect(result).toEqual({ created: 2, updated: 0, skipped: 0, errors: [] });

    for (const [imported, password] of [
      [bcryptRow, 'old bcrypt pw'],
      [djangoRow, 'short'],
    ] as const) {
      const wrong = await rejection(
        server.client().auth.login.mutate({ email: imported.email, password: 'nope' }).then(tokensOf),
      );
      expect(errorReason(wrong)).toBe('invalid_credentials');
      expect(await storedHash(imported.email)).toBe(imported.passwordHash);
      const signedIn = await server
        .client()
        .auth.login.mutate({ email: imported.email, password })
        .then(tokensOf);
      expect(signedIn.user.email).toBe(imported.email);
      expect(await storedHash(imported.email)).toMatch(/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
      // The new hash works, the old one is gone.
      await server.client().auth.login.mutate({ email: imported.email, password }).then(tokensOf);
    }
  });

  it('gives a row without a hash no password: sign-in fails until a reset link sets one', async () => {
    const noHash = row();
    await importRows([noHash]);
    expect(await storedHash(noHash.email)).toBeNull();
    const error = await rejection(
      server.client().auth.login.mutate({ email: noHash.email, password: 'anything at all' }).then(tokensOf),
    );
    expect(errorReason(error)).toBe('invalid_credentials');
  });

  it('stores role, verified, disabled as the row says; new accounts default to an enabled, unverified user', async () => {
    const rows = [row({ role: 'manager', emailVerified: true, disabled: true }), row()];
    await importRows(rows);
    const page = await admin.client.users.list.query({ search: rows[0]!.email });
    expect(page.items[0]).toMatchObject({ role: 'manager', emailVerified: true, disabled: true });
    const other = await admin.client.users.list.query({ search: rows[1]!.email });
    expect(other.items[0]).toMatchObject({ role: 'user', emailVerified: false, disabled: false });
  });
});

describe('users.import: rows checked one by one', () => {
  it('reports each bad row with its index and field, and imports the good ones', async () => {
    const good = row();
    const result = await importRows([
      { email: 'not an email', name: 'X' },
      good,
      { ...row(), passwordHash: 'md5$abc$def' },
      { ...row(), role: 'owner' as never, locale: 'de' as never },
      { ...row(), name: '' },
      { ...good, name: 'Twice' },
      'not an object' as never,
    ]);
    expect(result.created).toBe(1);
    expect(result.errors.map((e) => [e.row, e.field])).toEqual([
      [0, 'email'],
      [2, 'passwordHash'],
      [3, 'role'],
      [3, 'locale'],
      [4, 'name'],
      [5, 'email'],
      [6, 'row'],
    ]);
    expect(result.errors[1]!.message).toMatch(/Unknown password hash format/);
    expect(result.errors[5]!.message).toBe('The same email as row 1');
  });

  it('accepts locale en or fr', async () => {
    const result = await importRows([row({ locale: 'fr' }), row({ locale: 'en' })]);
    expect(result).toMatchObject({ created: 2, errors: [] });
  });

  it('refuses an empty or an oversized batch as a whole (BAD_REQUEST)', async () => {
    expect(errorCode(await rejection(importRows([])))).toBe('BAD_REQUEST');
    const tooMany = Array.from({ length: 1_001 }, (_, i) => ({
      email: `bulk${i}@example.com`,
      name: 'Bulk',
    }));
    const error = await rejection(importRows(tooMany));
    expect(errorCode(error)).toBe('BAD_REQUEST');
    expect((error as Error).message).toMatch(/At most 1000 rows/);
  });

  it('takes a full batch of 1,000 rows with bcrypt hashes within the body limit, over REST too', async () => {
    const hash = await bcryptHash('bulk password', { cost: 4 });
    const rows = Array.from({ length: 1_000 }, (_, i) => ({
      email: `bulk-${i}-${Date.now()}@example.com`,
      name: `Bulk Person ${i}`,
      role: 'user' as const,
      passwordHash: hash,
      emailVerified: true,
    }));
    const body = JSON.stringify({ rows, dryRun: true });
    expect(body.length).toBeGreaterThan(64 * 1024);
    expect(body.length).toBeLessThan(IMPORT_BODY_LIMIT_BYTES);
    const response = await fetch(`${server.url}/api/users/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ created: 1_000, updated: 0, skipped: 0, errors: [] });
    expect((await importRows(rows)).created).toBe(1_000);
  });
});

describe('users.import: dry run and conflicts', () => {
  it('dryRun reports what would happen and writes nothing, not even an audit event', async () => {
    const existing = row();
    await importRows([existing]);
    const fresh = row();
    const before = await auditImports();
    const result: ImportResult = await importRows([fresh, existing], { dryRun: true, onConflict: 'skip' });
    expect(result).toEqual({ created: 1, updated: 0, skipped: 1, errors: [] });
    expect(await storedHash(fresh.email)).toBeUndefined();
    expect(await auditImports()).toBe(before);
  });

  it('onConflict fail (the default) writes nothing of a batch with a taken email', async () => {
    const existing = row();
    await importRows([existing]);
    const fresh = row();
    const result = await importRows([fresh, { ...existing, name: 'Changed' }]);
    expect(result.created).toBe(0);
    expect(result.errors).toEqual([{ row: 1, field: 'email', message: BATCH_REFUSED }]);
    expect(await storedHash(fresh.email)).toBeUndefined();
  });

  it('onConflict skip leaves the account; update changes what the row names and keeps the rest', async () => {
    const existing = row({ role: 'manager', emailVerified: true });
    await importRows([existing]);
    expect(await importRows([{ ...existing, name: 'Skipped' }], { onConflict: 'skip' })).toMatchObject({
      skipped: 1,
      created: 0,
    });
    const hash = djangoPbkdf2('updated password');
    const updated = await importRows([{ email: existing.email, name: 'Updated Name', passwordHash: hash }], {
      onConflict: 'update',
    });
    expect(updated).toEqual({ created: 0, updated: 1, skipped: 0, errors: [] });
    const page = await admin.client.users.list.query({ search: existing.email });
    expect(page.items[0]).toMatchObject({ name: 'Updated Name', role: 'manager', emailVerified: true });
    expect(await storedHash(existing.email)).toBe(hash);
    // The same row again changes nothing: counted as skipped.
    expect(
      await importRows([{ email: existing.email, name: 'Updated Name' }], { onConflict: 'update' }),
    ).toMatchObject({ updated: 0, skipped: 1 });
  });

  it('update: a demotion ends the account’s sessions; nobody changes their own role', async () => {
    const manager = await signUp(server, { role: 'manager', prefix: 'import-demote' });
    const result = await importRows([{ email: manager.email, name: 'Demoted', role: 'user' }], {
      onConflict: 'update',
    });
    expect(result.updated).toBe(1);
    expect(errorCode(await rejection(manager.client.users.me.query()))).toBe('UNAUTHORIZED');

    const self = await importRows([{ email: admin.email, name: 'Me', role: 'user' }], {
      onConflict: 'update',
    });
    expect(self.errors).toEqual([{ row: 0, field: 'role', message: "You can't change your own role" }]);
  });

  it('two imports of the same email at once: one creates it, the other sees it taken', async () => {
    const contested = row();
    const results = await Promise.all([
      importRows([contested], { onConflict: 'skip' }),
      importRows([{ ...contested, name: 'Other' }], { onConflict: 'skip' }),
    ]);
    expect(results.map((r) => r.created).sort()).toEqual([0, 1]);
    expect(results.map((r) => r.skipped).sort()).toEqual([0, 1]);
    const count = await server.database.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('email', '=', contested.email)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('audits one event per batch with the counts', async () => {
    await importRows([row(), row(), { email: 'bad', name: 'Bad' }]);
    const event = await server.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'users.import')
      .orderBy('at', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    expect(event.actor_id).toBe(admin.id);
    expect(event.metadata).toEqual({ created: 2, updated: 0, skipped: 0, rejected: 1, onConflict: 'fail' });
  });
});

describe('users.import is for admins only', () => {
  it('answers FORBIDDEN to a manager and a user, over tRPC and REST', async () => {
    for (const role of ['manager', 'user'] as const) {
      const caller = await signUp(server, { role, prefix: `import-${role}` });
      const error = await rejection(caller.client.users.import.mutate({ rows: [row()] }));
      expect(errorCode(error)).toBe('FORBIDDEN');
      const response = await fetch(`${server.url}/api/users/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${caller.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ rows: [row()] }),
      });
      expect(response.status).toBe(403);
    }
    expect(errorCode(await rejection(server.client().users.import.mutate({ rows: [row()] })))).toBe(
      'UNAUTHORIZED',
    );
  });

  it('answers a refused caller before reading its body: a 2 MiB upload costs them, not the server', async () => {
    const user = await signUp(server, { prefix: 'import-early' });
    for (const path of ['/api/users/import', '/trpc/users.import'])
      for (const [authorization, status, reason] of [
        [undefined, 401, 'not_signed_in'],
        ['Bearer not-a-token', 401, 'not_signed_in'],
        [`Bearer ${user.token}`, 403, 'forbidden'],
      ] as const) {
        // Headers announce the whole body, none of which is ever sent: only an answer given
        // before reading it can arrive.
        const answer = await headersOnly(path, IMPORT_BODY_LIMIT_BYTES - 1, authorization);
        expect([path, authorization, answer.status]).toEqual([path, authorization, status]);
        expect(answer.headers.connection).toBe('close');
        expect(JSON.stringify(answer.body)).toContain(`"reason":"${reason}"`);
      }
  });
});

/** POSTs only the headers of a JSON body of `length` bytes; resolves with the answer, if one comes. */
function headersOnly(path: string, length: number, authorization?: string) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: unknown }>((done, fail) => {
    const outgoing = httpRequest(`${server.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': String(length),
        ...(authorization ? { authorization } : {}),
      },
    });
    outgoing.on('response', (incoming) => {
      let text = '';
      incoming.on('data', (chunk: Buffer) => (text += chunk.toString()));
      incoming.on('end', () => {
        done({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: JSON.parse(text) });
        outgoing.destroy();
      });
    });
    outgoing.on('error', fail);
    outgoing.flushHeaders();
  });
}

async function auditImports() {
  const found = await server.database.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('action', '=', 'users.import')
    .executeTakeFirstOrThrow();
  return Number(found.n);
}
