import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStores } from '@tessera/db';
import { sql } from 'kysely';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { startOutboxWorker } from '../src/mail/outbox-worker.js';
import type { Envelope, MailTransport } from '../src/mail/transport.js';
import { mailSinkPerFile } from './helpers/mail-sink.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail } from './helpers/server.js';
import { perFile } from './helpers/per-file.js';

describe('outbox over real SMTP', () => {
  const sink = mailSinkPerFile();
  const server = perFile(() =>
    startTestServer({ SMTP_URL: sink.url, MAIL_POLL_INTERVAL_MS: '20', MAIL_RETRY_BASE_MS: '50' }),
  );

  it('delivers every mail exactly once after SMTP comes back', async () => {
    await sink.stop();
    const emails = Array.from({ length: 8 }, () => uniqueEmail('down'));
    // Requests answer at once although SMTP is down: they only write rows.
    await Promise.all(
      emails.map((email) =>
        server.client().auth.register.mutate({ name: 'Down Time', email, password: STRONG_PASSWORD }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const failed = await server.database.db
      .selectFrom('email_outbox')
      .select(['attempts', 'last_error', 'status'])
      .where('recipient', 'in', emails)
      .execute();
    expect(failed.every((row) => row.status === 'pending')).toBe(true);
    expect(failed.some((row) => row.attempts >= 1 && row.last_error)).toBe(true);

    await sink.start();
    for (const email of emails) await sink.waitFor(email, /Confirm your email/, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const email of emails) expect(sink.received.filter((m) => m.to === email)).toHaveLength(1);
  });
});

describe('outbox workers', () => {
  const server = perFile(() => startTestServer({ MAIL_POLL_INTERVAL_MS: '60000' }));

  it('two workers on one database send each mail once', async () => {
    const mailKey = new Uint8Array(32).fill(7);
    const stores = createStores(server.database.db, { mailKey });
    const recipients = Array.from({ length: 40 }, (_, i) => `pair${i}.${Date.now()}@example.com`);
    for (const to of recipients) {
      await stores.outbox.enqueue({
        to,
        subject: 'hello',
        text: 't',
        html: '<p>t</p>',
        language: 'en',
        secret: true,
      });
    }
    const sent: string[] = [];
    const slowTransport: MailTransport = {
      async send(mail: Envelope) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        sent.push(mail.to);
      },
      close() {},
    };
    const options = {
      db: server.database.db,
      transport: slowTransport,
      mailKey,
      log: server.app.log,
      pollIntervalMs: 5,
      maxAttempts: 3,
      retryBaseMs: 10,
      batchSize: 3,
      retentionHours: 168,
      failedRetentionHours: 720,
    };
    const workers = [startOutboxWorker(options), startOutboxWorker(options)];
    const deadline = Date.now() + 20_000;
    while (recipients.some((r) => !sent.includes(r)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.all(workers.map((w) => w.stop()));
    for (const to of recipients) expect(sent.filter((s) => s === to)).toHaveLength(1);
  });

  it("sends different recipients' mail side by side, and each recipient's in the order it was queued", async () => {
    const mailKey = new Uint8Array(32).fill(8);
    const stores = createStores(server.database.db, { mailKey });
    const stamp = Date.now();
    const [first, second, third] = ['first', 'second', 'third'].map((name) => `${name}.${stamp}@example.com`);
    const queued = [
      [first, 'one'],
      [second, 'one'],
      [first, 'two'],
      [third, 'one'],
      [first, 'three'],
    ] as const;
    for (const [to, subject] of queued)
      await stores.outbox.enqueue({ to: to!, subject, text: 't', html: '', language: 'en', secret: false });
    let inFlight = 0;
    let mostAtOnce = 0;
    const sent: string[] = [];
    const transport: MailTransport = {
      async send(mail: Envelope) {
        mostAtOnce = Math.max(mostAtOnce, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 30));
        inFlight--;
        sent.push(`${mail.to} ${mail.subject}`);
      },
      close() {},
    };
    const worker = startOutboxWorker({
      db: server.database.db,
      transport,
      mailKey,
      log: server.app.log,
      pollIntervalMs: 60_000,
      maxAttempts: 3,
      retryBaseMs: 10,
      batchSize: 10,
      retentionHours: 168,
      failedRetentionHours: 720,
    });
    try {
      await worker.drain();
    } finally {
      await worker.stop();
    }
    expect(sent.filter((line) => line.startsWith(first!))).toEqual([
      `${first} one`,
      `${first} two`,
      `${first} three`,
    ]);
    expect(sent).toHaveLength(queued.length);
    expect(mostAtOnce).toBe(3);
  });

  it('gives up after the bounded number of attempts, keeping the body sealed for a retry', async () => {
    const mailKey = new Uint8Array(32).fill(9);
    const stores = createStores(server.database.db, { mailKey });
    const to = `bounce.${Date.now()}@example.com`;
    await stores.outbox.enqueue({
      to,
      subject: 'never',
      text: 'secret link',
      html: '',
      language: 'en',
      secret: true,
    });
    const failing: MailTransport = {
      send: () => Promise.reject(new Error('550 mailbox unavailable')),
      close() {},
    };
    const worker = startOutboxWorker({
      db: server.database.db,
      transport: failing,
      mailKey,
      log: server.app.log,
      pollIntervalMs: 5,
      maxAttempts: 3,
      retryBaseMs: 10,
      retentionHours: 168,
      failedRetentionHours: 720,
    });
    const deadline = Date.now() + 10_000;
    let row;
    do {
      await new Promise((resolve) => setTimeout(resolve, 20));
      row = await server.database.db
        .selectFrom('email_outbox')
        .select(['status', 'attempts', 'body', 'last_error'])
        .where('recipient', '=', to)
        .executeTakeFirstOrThrow();
    } while (row.status !== 'failed' && Date.now() < deadline);
    await worker.stop();
    expect(row).toMatchObject({ status: 'failed', attempts: 3, last_error: '550 mailbox unavailable' });
    // Kept for `tessera mail retry-failed`, encrypted: the link is not readable from the row.
    expect(row.body).toEqual(expect.any(String));
    expect(row.body).not.toContain('secret link');
  });
});

describe('embedded mail (no SMTP_URL)', () => {
  it('writes each mail as an .eml file under the data folder and logs its link', async () => {
    const server = await startTestServer({ LOG_LEVEL: 'info', MAIL_POLL_INTERVAL_MS: '20' });
    try {
      const email = uniqueEmail('file');
      await server.client().auth.register.mutate({ name: 'File Mail', email, password: STRONG_PASSWORD });
      const dir = join(server.dataDir, 'mail');
      const deadline = Date.now() + 10_000;
      let files: string[] = [];
      while (files.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        files = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.eml')) : [];
      }
      expect(files).toHaveLength(1);
      const mail = await simpleParser(readFileSync(join(dir, files[0]!)));
      expect(mail.to).toMatchObject({ text: email });
      const link = /(http:\/\/\S+verify-email#token=[A-Za-z0-9_-]{43})/.exec(mail.text ?? '')?.[1];
      expect(link).toBeDefined();
      const logged = server.logs
        .map((line) => JSON.parse(line) as { to?: string; msg?: string; link?: string })
        .find((entry) => entry.to === email);
      expect(logged?.msg).toMatch(/mail written/);
      expect(logged?.link).toBe(link);
    } finally {
      await server.close();
    }
  });
});

describe('mail retention', () => {
  const HOUR = 3_600_000;
  const server = perFile(() =>
    startTestServer({
      MAIL_POLL_INTERVAL_MS: '20',
      MAIL_RETENTION_HOURS: '24',
      MAIL_FAILED_RETENTION_HOURS: '48',
    }),
  );

  const statusOf = async (recipient: string) =>
    (
      await server.database.db
        .selectFrom('email_outbox')
        .select('status')
        .where('recipient', '=', recipient)
        .executeTakeFirst()
    )?.status;

  it('deletes sent mail after MAIL_RETENTION_HOURS and failed mail after MAIL_FAILED_RETENTION_HOURS, never pending mail', async () => {
    const sent = uniqueEmail('kept-a-day');
    await server.client().auth.register.mutate({ name: 'Sent Mail', email: sent, password: STRONG_PASSWORD });
    const deadline = Date.now() + 10_000;
    while ((await statusOf(sent)) !== 'sent' && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await statusOf(sent)).toBe('sent');
    // A mail that gave up just now, and one that waits for a retry far ahead.
    const failed = uniqueEmail('failed');
    const pending = uniqueEmail('pending');
    await server.database.db
      .insertInto('email_outbox')
      .values([
        {
          recipient: failed,
          subject: 'x',
          body: null,
          status: 'failed',
          attempts: 10,
          next_attempt_at: new Date(),
        },
        {
          recipient: pending,
          subject: 'x',
          body: '{"text":"t","html":"h"}',
          next_attempt_at: new Date(Date.now() + 10_000 * HOUR),
        },
      ])
      .execute();

    // drain() runs a pass now, and a pass prunes when a minute of the app's clock has gone by.
    server.advance(23 * HOUR);
    await server.app.outbox.drain();
    expect([await statusOf(sent), await statusOf(failed), await statusOf(pending)]).toEqual([
      'sent',
      'failed',
      'pending',
    ]);

    server.advance(2 * HOUR);
    await server.app.outbox.drain();
    expect([await statusOf(sent), await statusOf(failed), await statusOf(pending)]).toEqual([
      undefined,
      'failed',
      'pending',
    ]);

    server.advance(24 * HOUR);
    await server.app.outbox.drain();
    expect([await statusOf(failed), await statusOf(pending)]).toEqual([undefined, 'pending']);
  });

  it('deletes a large backlog in batches, a bounded amount per pass', async () => {
    // 10,500 sent rows: more than one pass takes (20 batches of 500), so two passes are needed.
    await sql`
      insert into email_outbox (recipient, subject, status, sent_at)
      select 'bulk' || g || '@example.com', 'bulk', 'sent', now() from generate_series(1, 10500) g`.execute(
      server.database.db,
    );
    const bulk = async () =>
      Number(
        (
          await server.database.db
            .selectFrom('email_outbox')
            .select(sql<string>`count(*)`.as('n'))
            .where('subject', '=', 'bulk')
            .executeTakeFirstOrThrow()
        ).n,
      );
    server.advance(25 * HOUR);
    await server.app.outbox.drain();
    expect(await bulk()).toBe(500);
    server.advance(60_000);
    await server.app.outbox.drain();
    expect(await bulk()).toBe(0);
  });
});
