import type { LookupAddress } from 'node:dns';
import { errorReason, fieldErrors } from '@tessera/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookTargetGuard } from '../src/webhooks/targets.js';
import { signUp, type SignedIn } from './helpers/accounts.js';
import { perFile } from './helpers/per-file.js';
import { rejection, startTestServer } from './helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

/** Answers from the test's own DNS: a name that resolves to 127.0.0.1 without /etc/hosts or the network. */
const names: Record<string, string[]> = {
  'loopback.test': ['127.0.0.1'],
  'metadata.test': ['169.254.169.254'],
  'mixed.test': ['93.184.216.34', '10.0.0.7'],
  'public.test': ['93.184.216.34'],
};
/** Public while the endpoint is created, loopback when it is called: a DNS rebind. */
let rebindCalls = 0;
const lookups: string[] = [];
function resolveHost(hostname: string): Promise<LookupAddress[]> {
  lookups.push(hostname);
  if (hostname === 'rebind.test')
    return Promise.resolve([{ address: rebindCalls++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 }]);
  const addresses = names[hostname];
  if (!addresses)
    return Promise.reject(
      Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
    );
  return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
}

const server = perFile(() =>
  startTestServer({ WEBHOOK_POLL_INTERVAL_MS: '20', WEBHOOK_RETRY_BASE_MS: '40' }, { resolveHost }),
);
let admin: SignedIn;
let receiver: WebhookReceiver;

beforeAll(async () => {
  admin = await signUp(server, { role: 'admin', prefix: 'ssrf-admin' });
  receiver = await startWebhookReceiver();
});
afterAll(() => receiver?.close());

describe('webhook targets (WEBHOOK_ALLOW_PRIVATE unset)', () => {
  it('refuses loopback, private, link-local, metadata, unspecified and mapped addresses, by literal or by name', async () => {
    const port = receiver.port;
    const refused = [
      `http://127.0.0.1:${port}/`,
      `http://127.1.2.3:${port}/`,
      'http://[::1]/',
      'http://0.0.0.0/',
      'http://[::]/',
      'http://10.0.0.1/',
      'http://172.16.5.4/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.100.100.200/',
      'http://[fe80::1]/',
      'http://[fd00:ec2::254]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[64:ff9b::a00:1]/',
      // IPv4-compatible (::/96): ipaddr.js calls these unicast; some stacks route them to IPv4.
      `http://[::127.0.0.1]:${port}/`,
      'http://[::7f00:1]/',
      'http://[::1.2.3.4]/',
      `http://loopback.test:${port}/`,
      'http://metadata.test/',
      'https://mixed.test/',
      'https://nowhere.test/',
    ];
    for (const url of refused) {
      const error = await rejection(admin.client.webhooks.create.mutate({ url, events: ['user.created'] }));
      expect([url, errorReason(error), Object.keys(fieldErrors(error) ?? {})]).toEqual([
        url,
        'webhook_target_not_allowed',
        ['url'],
      ]);
    }
    const named = await rejection(
      admin.client.webhooks.create.mutate({ url: `http://loopback.test:${port}/`, events: ['user.created'] }),
    );
    expect(fieldErrors(named)?.url?.[0]).toMatch(
      /loopback\.test resolves to 127\.0\.0\.1, a loopback address/,
    );
    // Not the wrong kind of URL either.
    for (const url of ['ftp://public.test/', 'http://user:pw@public.test/', 'file:///etc/passwd']) {
      const error = await rejection(admin.client.webhooks.create.mutate({ url, events: ['user.created'] }));
      expect([url, errorReason(error)]).toEqual([url, 'invalid_input']);
    }
    // A public address is fine; changing it to a private one is checked the same way.
    const ok = await admin.client.webhooks.create.mutate({
      url: 'https://public.test/hook',
      events: ['user.created'],
    });
    const update = await rejection(
      admin.client.webhooks.update.mutate({ id: ok.webhook.id, url: 'http://10.1.1.1/' }),
    );
    expect(errorReason(update)).toBe('webhook_target_not_allowed');
    await admin.client.webhooks.delete.mutate({ id: ok.webhook.id });
  });

  it('checks the address again at every send: a name rebound to 127.0.0.1 after creation gets nothing', async () => {
    const created = await admin.client.webhooks.create.mutate({
      url: `http://rebind.test:${receiver.port}/hook`,
      events: ['user.updated'],
    });
    try {
      const target = await signUp(server, { prefix: 'rebind' });
      await admin.client.users.update.mutate({ id: target.id, name: 'Rebound' });
      await server.app.deliveries.drain();
      const log = await admin.client.webhooks.deliveries.query({ id: created.webhook.id });
      expect(log.items[0]).toMatchObject({ status: 'pending', lastStatusCode: null });
      expect(log.items[0]?.attempts).toBeGreaterThanOrEqual(1);
      expect(log.items[0]?.lastError).toMatch(
        /^Refused: rebind\.test resolves to 127\.0\.0\.1, a loopback address/,
      );
      expect(receiver.received).toEqual([]);
    } finally {
      await admin.client.webhooks.delete.mutate({ id: created.webhook.id });
    }
  });
});

describe('the sender connects to the address it checked', () => {
  it('resolves once per attempt and never again for the connection (no second lookup to rebind)', async () => {
    // A name only the injected resolver knows: the system resolver would fail with ENOTFOUND,
    // so a delivery that arrives proves the connection used the checked address.
    const guard = webhookTargetGuard({
      allowPrivate: true,
      resolve: (hostname) => {
        lookups.push(hostname);
        return Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
      },
    });
    lookups.length = 0;
    const { postDelivery } = await import('../src/webhooks/sender.js');
    const target = await guard.check(new URL(`http://only-in-test.invalid:${receiver.port}/pinned`));
    const result = await postDelivery(target, {
      id: 'pinned-1',
      payload: '{"type":"user.updated"}',
      secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
    });
    expect(result).toEqual({ statusCode: 204 });
    expect(lookups).toEqual(['only-in-test.invalid']);
    expect(receiver.received.at(-1)?.id).toBe('pinned-1');
    expect(receiver.received.at(-1)?.headers.host).toBe(`only-in-test.invalid:${receiver.port}`);
  });
});
