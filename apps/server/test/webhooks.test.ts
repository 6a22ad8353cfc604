import { tokensOf } from './helpers/accounts.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emitUserEvent, type RouterOutputs } from '@tessera/api';
import { errorCode, errorReason, fieldErrors, verifyAccessToken, verifyWebhook } from '@tessera/client';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, USER_FIELDS, type SignedIn } from './helpers/accounts.js';
import { mailSinkPerFile, tokenFromLink } from './helpers/mail-sink.js';
import { perFile } from './helpers/per-file.js';
import { rejection, startTestServer, STRONG_PASSWORD, uniqueEmail } from './helpers/server.js';
import { startWebhookReceiver, type ReceivedHook, type WebhookReceiver } from './helpers/webhook-receiver.js';

type CreatedWebhook = RouterOutputs['webhooks']['create'];

const sink = mailSinkPerFile();
const SETTINGS = {
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_RETRY_BASE_MS: '40',
  WEBHOOK_POLL_INTERVAL_MS: '20',
  WEBHOOK_MAX_ATTEMPTS: '3',
};
const a = perFile(() => startTestServer({ ...SETTINGS, SMTP_URL: sink.url }));
// A second node on the same database, as a deployment runs them.
const b = perFile(() =>
  startTestServer(
    {
      ...SETTINGS,
      SMTP_URL: sink.url,
      JWT_PRIVATE_KEY: readFileSync(join(a.dataDir, 'jwt-ed25519.pem'), 'utf8'),
    },
    { sharedDatabase: a.database },
  ),
);
let admin: SignedIn;
let receiver: WebhookReceiver;

beforeAll(async () => {
  admin = await signUp(a, { role: 'admin', prefix: 'hooks-admin' });
  receiver = await startWebhookReceiver();
});
afterAll(() => receiver?.close());

/** Subscribes the receiver (at `path`) for the duration of `run`, then deletes the endpoint and waits out its last attempts. */
async function withWebhook(
  events: CreatedWebhook['webhook']['events'],
  run: (created: CreatedWebhook) => Promise<void>,
  path = '/hook',
) {
  receiver.received.length = 0;
  receiver.answer = () => 204;
  const created = await admin.client.webhooks.create.mutate({ url: `${receiver.url}${path}`, events });
  try {
    await run(created);
  } finally {
    await admin.client.webhooks.delete.mutate({ id: created.webhook.id });
    // An attempt either node claimed just before the delete still goes out: let it land here,
    // not in the next test's receiver (seen in CI: a retry of the redirect test's delivery).
    await Promise.all([a.app.deliveries.drain(), b.app.deliveries.drain()]);
  }
}

const typesOf = (hooks: ReceivedHook[]) =>
  hooks.map((hook) => (JSON.parse(hook.body) as { type: string }).type).sort();

describe('webhooks', () => {
  it('tells every change to a user, signed per Standard Webhooks, as { type, timestamp, data.user }', async () => {
    await withWebhook(
      [
        'user.created',
        'user.updated',
        'user.deleted',
        'user.role_changed',
        'user.disabled',
        'user.enabled',
        'user.email_verified',
        'user.password_changed',
        'session.revoked',
      ],
      async ({ webhook, secret }) => {
        expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
        const email = uniqueEmail('events');
        const person = await a
          .client()
          .auth.register.mutate({ name: 'Eve Events', email, password: STRONG_PASSWORD });
        const id = person.user.id;
        await receiver.waitForDelivered(1);
        const verification = await sink.waitFor(email, /Confirm your email/);
        await a.client().auth.verifyEmail.mutate({ token: tokenFromLink(verification.link) });
        await admin.client.users.update.mutate({ id, name: 'Eve Renamed' });
        await admin.client.users.update.mutate({ id, role: 'manager' });
        await admin.client.users.update.mutate({ id, disabled: true });
        await admin.client.users.update.mutate({ id, disabled: false });
        const signedIn = await a
          .client()
          .auth.login.mutate({ email, password: STRONG_PASSWORD })
          .then(tokensOf);
        const second = await a
          .client()
          .auth.login.mutate({ email, password: STRONG_PASSWORD })
          .then(tokensOf);
        await a
          .client(signedIn.accessToken)
          .auth.revokeSession.mutate({ id: second.user.id === id ? sessionOf(second) : '' });
        await a.client(signedIn.accessToken).auth.changePassword.mutate({
          currentPassword: STRONG_PASSWORD,
          newPassword: `${STRONG_PASSWORD} again`,
        });
        await admin.client.users.delete.mutate({ id });

        const expected = [
          'session.revoked', // the demotion ended the sign-up's session (the disable found none left)
          'session.revoked', // revokeSession
          'session.revoked', // a password change ends every session
          'user.created',
          'user.deleted',
          'user.disabled',
          'user.email_verified',
          'user.enabled',
          'user.password_changed',
          'user.role_changed',
          'user.updated',
        ];
        const hooks = await receiver.waitForDelivered(expected.length);
        expect(typesOf(hooks)).toEqual(expected);
        for (const hook of hooks) {
          // The official implementation accepts our signature, and so does the client's helper.
          const headers = {
            'webhook-id': String(hook.headers['webhook-id']),
            'webhook-timestamp': String(hook.headers['webhook-timestamp']),
            'webhook-signature': String(hook.headers['webhook-signature']),
          };
          expect(new Webhook(secret).verify(hook.body, headers)).toEqual(JSON.parse(hook.body));
          const event = verifyWebhook(hook.body, hook.headers, secret);
          expect(Object.keys(event).sort()).toEqual(['data', 'timestamp', 'type']);
          expect(Object.keys(event.data.user).sort()).toEqual(USER_FIELDS);
          expect(event.data.user.id).toBe(id);
          expect(hook.headers['content-type']).toBe('application/json');
        }
        const byType = (type: string) =>
          hooks.map((h) => verifyWebhook(h.body, h.headers, secret)).filter((e) => e.type === type);
        expect(byType('user.role_changed')[0]?.data).toMatchObject({
          user: { role: 'manager' },
          previousRole: 'user',
        });
        expect(byType('user.email_verified')[0]?.data.user.emailVerified).toBe(true);
        expect(byType('user.deleted')[0]?.data.user.name).toBe('Eve Renamed');
        // A wrong secret or a changed body fails.
        expect(() =>
          verifyWebhook(hooks[0]!.body, hooks[0]!.headers, `whsec_${Buffer.alloc(32).toString('base64')}`),
        ).toThrow();
        expect(() => verifyWebhook(`${hooks[0]!.body} `, hooks[0]!.headers, secret)).toThrow();

        const log = await admin.client.webhooks.deliveries.query({ id: webhook.id, limit: 100 });
        expect(log.items).toHaveLength(expected.length);
        expect(
          log.items.every((d) => d.status === 'delivered' && d.lastStatusCode === 204 && d.attempts === 1),
        ).toBe(true);
      },
    );
  });

  it('delivers each event once to a receiver that fails, then recovers', async () => {
    await withWebhook(['user.updated'], async ({ webhook }) => {
      // Down for each event's first two attempts (WEBHOOK_MAX_ATTEMPTS is 3), then back.
      const attempts = new Map<string, number>();
      receiver.answer = (hook) => {
        attempts.set(hook.id, (attempts.get(hook.id) ?? 0) + 1);
        return attempts.get(hook.id)! <= 2 ? 503 : 200;
      };
      const target = await signUp(a, { prefix: 'flaky' });
      for (let i = 0; i < 3; i++)
        await admin.client.users.update.mutate({ id: target.id, name: `Flaky ${i}` });
      await receiver.waitForDelivered(3);
      await a.app.deliveries.drain();
      await b.app.deliveries.drain();
      const delivered = receiver.delivered();
      expect(delivered.size).toBe(3);
      expect([...delivered.values()].every((hooks) => hooks.length === 1)).toBe(true);
      // Each retry carried the same webhook-id (one event, several attempts).
      expect(new Set(receiver.received.map((hook) => hook.id))).toEqual(new Set(delivered.keys()));
      const log = await admin.client.webhooks.deliveries.query({ id: webhook.id });
      expect(log.items.map((d) => [d.status, d.lastStatusCode, d.lastError])).toEqual([
        ['delivered', 200, null],
        ['delivered', 200, null],
        ['delivered', 200, null],
      ]);
      expect(log.items.map((d) => d.attempts)).toEqual([3, 3, 3]);
    });
  });

  it('delivers each event once when two nodes send', async () => {
    await withWebhook(['user.created'], async () => {
      // A slow receiver keeps several attempts in flight on both nodes at once.
      receiver.answer = () => new Promise((resolve) => setTimeout(() => resolve(200), 15));
      const emails = Array.from({ length: 30 }, () => uniqueEmail('two-nodes'));
      await Promise.all(
        emails.map((email, i) =>
          (i % 2 ? a : b)
            .client()
            .auth.register.mutate({ name: 'Node Race', email, password: STRONG_PASSWORD }),
        ),
      );
      await receiver.waitForDelivered(30);
      await Promise.all([a.app.deliveries.drain(), b.app.deliveries.drain()]);
      const delivered = receiver.delivered();
      expect(delivered.size).toBe(30);
      expect(receiver.received).toHaveLength(30);
      const users = [...delivered.values()].map(
        (hooks) => (JSON.parse(hooks[0]!.body) as { data: { user: { email: string } } }).data.user.email,
      );
      expect(users.sort()).toEqual([...emails].sort());
    });
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS with the status and error in the log, and redelivers on request', async () => {
    await withWebhook(['user.updated'], async ({ webhook }) => {
      receiver.answer = () => 500;
      const target = await signUp(a, { prefix: 'gives-up' });
      await admin.client.users.update.mutate({ id: target.id, name: 'Never Delivered' });
      const deadline = Date.now() + 15_000;
      let log = await admin.client.webhooks.deliveries.query({ id: webhook.id });
      while (log.items[0]?.status !== 'failed' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        log = await admin.client.webhooks.deliveries.query({ id: webhook.id });
      }
      expect(log.items[0]).toMatchObject({
        status: 'failed',
        attempts: 3,
        lastStatusCode: 500,
        lastError: 'HTTP 500',
        deliveredAt: null,
      });
      expect(receiver.received).toHaveLength(3);

      receiver.answer = () => 200;
      const first = receiver.received[0]!.id;
      // REST, as another service would call it.
      const response = await fetch(`${a.url}/api/webhooks/deliveries/${log.items[0]!.id}/redeliver`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.token}` },
      });
      expect(response.status).toBe(200);
      const [again] = await receiver.waitForDelivered(1);
      expect(again?.id).toBe(first);
      log = await admin.client.webhooks.deliveries.query({ id: webhook.id });
      expect(log.items[0]).toMatchObject({
        status: 'delivered',
        attempts: 1,
        lastStatusCode: 200,
        lastError: null,
      });
      expect(
        errorReason(await rejection(admin.client.webhooks.redeliver.mutate({ deliveryId: webhook.id }))),
      ).toBe('delivery_not_found');
    });
  });

  it('does not follow redirects: a 3xx is a failed attempt', async () => {
    await withWebhook(['user.updated'], async ({ webhook }) => {
      receiver.answer = (hook, res) => {
        if (hook.body.includes('"user.updated"') && !res.req.url?.startsWith('/moved')) {
          res.writeHead(307, { location: `${receiver.url}/moved` }).end();
          return 307;
        }
        return 200;
      };
      const target = await signUp(a, { prefix: 'redirect' });
      await admin.client.users.update.mutate({ id: target.id, name: 'Redirected' });
      const deadline = Date.now() + 10_000;
      let log = await admin.client.webhooks.deliveries.query({ id: webhook.id });
      while ((log.items[0]?.attempts ?? 0) < 1 || log.items[0]?.lastStatusCode === null) {
        if (Date.now() > deadline) throw new Error('no attempt');
        await new Promise((resolve) => setTimeout(resolve, 20));
        log = await admin.client.webhooks.deliveries.query({ id: webhook.id });
      }
      expect(log.items[0]).toMatchObject({
        status: 'pending',
        lastStatusCode: 307,
        lastError: 'HTTP 307: redirects are not followed',
      });
      expect(receiver.received.every((hook) => hook.status === 307)).toBe(true);
    });
  });

  it('tells of imported users (users.import) as of any other, and of none in a dry run', async () => {
    await withWebhook(['user.created'], async ({ webhook }) => {
      const rows = [uniqueEmail('imported'), uniqueEmail('imported')].map((email) => ({
        email,
        name: 'Imported',
      }));
      await admin.client.users.import.mutate({ rows, dryRun: true });
      await a.app.deliveries.drain();
      expect((await admin.client.webhooks.deliveries.query({ id: webhook.id })).items).toEqual([]);
      expect((await admin.client.users.import.mutate({ rows })).created).toBe(2);
      const hooks = await receiver.waitForDelivered(2);
      const emails = hooks.map(
        (h) => (JSON.parse(h.body) as { data: { user: { email: string } } }).data.user.email,
      );
      expect(emails.sort()).toEqual(rows.map((r) => r.email).sort());
    });
  });

  it('queues deliveries in the change’s transaction: a change that rolls back leaves none', async () => {
    await withWebhook(['user.updated'], async ({ webhook }) => {
      const target = await a.app.deps.stores.users.findById(admin.id);
      await expect(
        a.app.deps.transact(async (stores) => {
          await emitUserEvent(a.app.deps, stores, 'user.updated', target!);
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      await a.app.deliveries.drain();
      expect((await admin.client.webhooks.deliveries.query({ id: webhook.id })).items).toEqual([]);
      expect(receiver.received).toEqual([]);
    });
  });

  it('manages endpoints: list, update (URL checked again), disable (deliveries wait), delete, admins only', async () => {
    const created = await admin.client.webhooks.create.mutate({
      url: `${receiver.url}/managed`,
      events: ['user.created', 'user.created'],
      description: 'Billing',
    });
    try {
      expect(created.webhook).toMatchObject({
        events: ['user.created'],
        description: 'Billing',
        enabled: true,
      });
      expect((await admin.client.webhooks.list.query()).map((w) => w.id)).toContain(created.webhook.id);
      const updated = await admin.client.webhooks.update.mutate({
        id: created.webhook.id,
        events: ['user.deleted'],
        enabled: false,
      });
      expect(updated).toMatchObject({ events: ['user.deleted'], enabled: false });
      const badUrl = await rejection(
        admin.client.webhooks.update.mutate({ id: created.webhook.id, url: 'ftp://example.com/' }),
      );
      expect(Object.keys(fieldErrors(badUrl) ?? {})).toEqual(['url']);
      const manager = await signUp(a, { role: 'manager', prefix: 'hooks-manager' });
      expect(errorCode(await rejection(manager.client.webhooks.list.query()))).toBe('FORBIDDEN');
      expect(
        errorCode(
          await rejection(
            manager.client.webhooks.create.mutate({ url: `${receiver.url}/x`, events: ['user.created'] }),
          ),
        ),
      ).toBe('FORBIDDEN');
      const missing = await rejection(
        admin.client.webhooks.deliveries.query({ id: '00000000-0000-4000-8000-000000000000' }),
      );
      expect(errorReason(missing)).toBe('webhook_not_found');
    } finally {
      await admin.client.webhooks.delete.mutate({ id: created.webhook.id });
    }
    expect((await admin.client.webhooks.list.query()).map((w) => w.id)).not.toContain(created.webhook.id);
  });

  it('deletes delivered rows after a week, like the mail outbox', async () => {
    await withWebhook(['user.updated'], async ({ webhook }) => {
      const target = await signUp(a, { prefix: 'pruned' });
      await admin.client.users.update.mutate({ id: target.id, name: 'Soon Pruned' });
      await receiver.waitForDelivered(1);
      await a.app.deliveries.drain();
      expect((await admin.client.webhooks.deliveries.query({ id: webhook.id })).items).toHaveLength(1);
      a.advance(169 * 3_600_000);
      try {
        await a.app.deliveries.drain();
      } finally {
        a.advance(-169 * 3_600_000);
      }
      expect((await admin.client.webhooks.deliveries.query({ id: webhook.id })).items).toEqual([]);
    });
  });
});

describe('access tokens checked by another service', () => {
  it('verifyAccessToken accepts Tessera’s tokens against its JWKS and refuses others', async () => {
    const person = await signUp(a, { prefix: 'offline' });
    const issuer = `http://localhost:0`;
    const verified = await verifyAccessToken(person.token, { url: a.url, issuer });
    expect(verified).toMatchObject({ userId: person.id, role: 'user' });
    expect(verified.sessionId).toEqual(expect.any(String));
    await expect(verifyAccessToken(person.token, { url: a.url })).rejects.toThrow(/iss/);
    await expect(verifyAccessToken(person.token, { url: a.url, issuer, audience: 'other' })).rejects.toThrow(
      /aud/,
    );
    await expect(
      verifyAccessToken(`${person.token.slice(0, -4)}AAAA`, { url: a.url, issuer }),
    ).rejects.toThrow();
  });
});

function sessionOf(result: RouterOutputs['auth']['register']): string {
  const payload = JSON.parse(Buffer.from(result.accessToken.split('.')[1]!, 'base64url').toString()) as {
    sid: string;
  };
  return payload.sid;
}
