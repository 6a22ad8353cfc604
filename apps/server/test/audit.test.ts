import type { Role } from '@tessera/api';
import { createClient, errorCode, fieldErrors } from '@tessera/client';
import { captureQueries, createStores, explainQuery } from '@tessera/db';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, STRONG_PASSWORD, uniqueEmail, rejection } from './helpers/server.js';
import { perFile } from './helpers/per-file.js';

const USER_AGENT = 'AuditTest/1.0 (contract tests)';

const server = perFile(() => startTestServer());

/** Every secret handed out in this file, to prove none of them reaches the audit log. */
const secrets = new Set<string>([STRONG_PASSWORD]);

async function account(role: Role = 'user') {
  const email = uniqueEmail(`audit-${role}`);
  const result = await server
    .client()
    .auth.register.mutate({ name: 'Audit Person', email, password: STRONG_PASSWORD });
  if (role !== 'user')
    await server.database.db.updateTable('users').set({ role }).where('id', '=', result.user.id).execute();
  secrets.add(result.accessToken).add(result.refreshToken);
  return {
    id: result.user.id,
    email,
    client: createClient({
      url: server.url,
      token: result.accessToken,
      headers: { 'user-agent': USER_AGENT },
    }),
  };
}

let admin: Awaited<ReturnType<typeof account>>;
beforeAll(async () => {
  admin = await account('admin');
});

/** The target's events, oldest first. */
async function eventsFor(targetId: string) {
  const { items } = await admin.client.audit.list.query({ targetId, limit: 100 });
  return items.reverse();
}

describe('audit events', () => {
  it('records create, update, role change, disable, enable and delete with actor, target, IP and user agent', async () => {
    const email = uniqueEmail('audited');
    const created = await admin.client.users.create.mutate({
      name: 'Before',
      email,
      password: STRONG_PASSWORD,
    });
    await admin.client.users.update.mutate({ id: created.id, name: 'After' });
    await admin.client.users.update.mutate({ id: created.id, role: 'manager' });
    await admin.client.users.update.mutate({ id: created.id, disabled: true });
    await admin.client.users.update.mutate({ id: created.id, disabled: false });
    await admin.client.users.delete.mutate({ id: created.id });

    const events = await eventsFor(created.id);
    expect(events.map((e) => e.action)).toEqual([
      'users.create',
      'users.update',
      'users.role.change',
      'users.disable',
      'users.enable',
      'users.delete',
    ]);
    for (const event of events) {
      expect(event).toMatchObject({
        actorId: admin.id,
        targetId: created.id,
        ip: '127.0.0.1',
        userAgent: USER_AGENT,
      });
      expect(Object.keys(event).sort()).toEqual(
        [
          'action',
          'actorId',
          'actorKind',
          'actorName',
          'at',
          'id',
          'ip',
          'metadata',
          'targetId',
          'targetName',
          'userAgent',
        ].sort(),
      );
      // Names come with the page (one query, no lookup per row); a deleted account has none.
      expect(event).toMatchObject({ actorName: 'Audit Person', targetName: null });
      expect(Date.parse(event.at)).not.toBeNaN();
    }
    expect(events[0]!.metadata).toEqual({ email, role: 'user', invited: false });
    expect(events[1]!.metadata).toEqual({ changes: { name: { from: 'Before', to: 'After' } }, self: false });
    expect(events[2]!.metadata).toEqual({ from: 'user', to: 'manager' });
    expect(events[5]!.metadata).toEqual({ email, role: 'manager' });
  });

  it('records one event per kind of change made in one update', async () => {
    const target = await account();
    await admin.client.users.update.mutate({ id: target.id, name: 'Both', role: 'manager', disabled: true });
    const actions = (await eventsFor(target.id)).map((e) => e.action).filter((a) => a.startsWith('users.'));
    expect(actions.sort()).toEqual(['users.disable', 'users.role.change', 'users.update'].sort());
  });

  it('records self-service changes with the user as actor', async () => {
    const self = await account();
    const newEmail = uniqueEmail('self');
    await self.client.users.updateMe.mutate({ name: 'Self Renamed' });
    await self.client.users.updateMe.mutate({ email: newEmail, currentPassword: STRONG_PASSWORD });
    await rejection(self.client.users.deleteMe.mutate({ password: 'a wrong password, for the log' }));
    await self.client.users.deleteMe.mutate({ password: STRONG_PASSWORD });
    const events = (await eventsFor(self.id)).filter((e) => e.action.startsWith('users.'));
    expect(events.map((e) => e.action)).toEqual([
      'users.update',
      'users.email_change.request',
      'users.deleteMe.failure',
      'users.delete',
    ]);
    for (const e of events) expect(e).toMatchObject({ actorId: self.id, userAgent: USER_AGENT });
    expect(events[0]!.metadata).toEqual({
      changes: { name: { from: 'Audit Person', to: 'Self Renamed' } },
      self: true,
    });
    expect(events[1]!.metadata).toEqual({ from: self.email, to: newEmail });
    expect(events[3]!.metadata).toMatchObject({ self: true });
  });

  it('writes nothing for a change that fails or is refused (same transaction)', async () => {
    const [manager, target, other] = [await account('manager'), await account(), await account()];
    const before = (await eventsFor(target.id)).length;
    expect(
      errorCode(await rejection(admin.client.users.update.mutate({ id: target.id, email: other.email }))),
    ).toBe('CONFLICT');
    expect(
      errorCode(await rejection(manager.client.users.update.mutate({ id: target.id, role: 'admin' }))),
    ).toBe('FORBIDDEN');
    expect(await eventsFor(target.id)).toHaveLength(before);
  });

  it('never stores a password or a token', async () => {
    const invitedEmail = uniqueEmail('invited');
    await admin.client.users.create.mutate({ name: 'Invited', email: invitedEmail });
    await admin.client.users.create.mutate({
      name: 'With Password',
      email: uniqueEmail('pw'),
      password: 'another long passphrase for audit',
    });
    secrets.add('another long passphrase for audit');
    const tokens = await server.database.db.selectFrom('one_time_tokens').select('token_hash').execute();
    tokens.forEach((t) => secrets.add(t.token_hash));
    const rows = await server.database.db.selectFrom('audit_events').selectAll().execute();
    expect(rows.length).toBeGreaterThan(5);
    const dump = JSON.stringify(rows);
    for (const secret of secrets) expect(dump).not.toContain(secret);
    expect(dump).not.toMatch(/\$argon2id\$/);
  });
});

describe('audit.list', () => {
  it('is for admins only', async () => {
    for (const role of ['manager', 'user'] as const) {
      const who = await account(role);
      const refused = await rejection(who.client.audit.list.query());
      expect(errorCode(refused)).toBe('FORBIDDEN');
      expect((refused as Error).message).toBe('Only admins can read the audit log');
    }
    expect(errorCode(await rejection(server.client().audit.list.query()))).toBe('UNAUTHORIZED');
  });

  it('filters by actor, target and action (combined with AND)', async () => {
    const [manager, a, b] = [await account('manager'), await account(), await account()];
    await manager.client.users.update.mutate({ id: a.id, name: 'By Manager' });
    await manager.client.users.update.mutate({ id: b.id, disabled: true });
    await admin.client.users.update.mutate({ id: a.id, disabled: true });

    const byManager = (await admin.client.audit.list.query({ actorId: manager.id })).items;
    expect(byManager.map((e) => [e.action, e.targetId]).sort()).toEqual(
      [
        ['auth.register', manager.id],
        ['users.disable', b.id],
        ['users.update', a.id],
      ].sort(),
    );
    const disables = (await admin.client.audit.list.query({ action: 'users.disable', limit: 100 })).items;
    expect(disables.every((e) => e.action === 'users.disable')).toBe(true);
    expect(disables.map((e) => e.targetId)).toEqual(expect.arrayContaining([a.id, b.id]));
    const combined = (await admin.client.audit.list.query({ action: 'users.disable', targetId: a.id })).items;
    expect(combined.map((e) => e.actorId)).toEqual([admin.id]);
    expect((await admin.client.audit.list.query({ action: 'no.such.action' })).items).toEqual([]);
  });

  it('pages newest first through every event once, ties on the same instant included', async () => {
    const target = await account();
    // One update writes three events in one transaction: they share `at` to the microsecond.
    for (let i = 0; i < 6; i++)
      await admin.client.users.update.mutate({ id: target.id, name: `Name ${i}`, disabled: i % 2 === 0 });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin.client.audit.list.query({ limit: 4, cursor });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const oracle = await server.database.db
      .selectFrom('audit_events')
      .select('id')
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    expect(seen).toEqual(oracle.map((r) => r.id));
  });

  it('refuses bad filters, limits and cursors with BAD_REQUEST', async () => {
    const bad = [
      { actorId: 'nope' },
      { targetId: '123' },
      { limit: 0 },
      { limit: 101 },
      { cursor: 'garbage' },
      { cursor: Buffer.from(JSON.stringify({ at: 'yesterday', id: 'x' })).toString('base64url') },
    ];
    for (const input of bad) {
      const refused = await rejection(admin.client.audit.list.query(input));
      expect(errorCode(refused)).toBe('BAD_REQUEST');
      expect(Object.keys(fieldErrors(refused) ?? {})).toEqual([Object.keys(input)[0]]);
    }
  });
});

describe('audit.list at scale', () => {
  it('pages a rare action through audit_events_action_idx, not a walk of the whole log', async () => {
    // A long log of sign-ins, then ask for a rare action: the plan must go straight to it.
    await sql`insert into audit_events (action, at)
      select 'auth.login', now() - g * interval '1 second' from generate_series(1, 20000) g`.execute(
      server.database.db,
    );
    await sql`analyze audit_events`.execute(server.database.db);
    const [query] = await captureQueries((db) =>
      createStores(db).audit.list({
        action: 'users.role.change',
        before: { value: '2100-01-01T00:00:00.000000Z', id: '00000000-0000-4000-8000-000000000000' },
        limit: 51,
      }),
    );
    const plan = await explainQuery(server.database.db, query!);
    expect(plan.join('\n')).toMatch(/audit_events_action_idx/);
    const page = await admin.client.audit.list.query({ action: 'users.role.change', limit: 100 });
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((e) => e.action === 'users.role.change')).toBe(true);
  });
});
