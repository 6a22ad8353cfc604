import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CaughtMail {
  to: string;
  subject: string;
  text: string;
}

export interface MailCatcher {
  /** For SMTP_URL. */
  url: string;
  /**
   * Waits for the `nth` (0-based, default first) mail to `to` whose subject matches: the
   * outbox sends asynchronously.
   */
  waitFor(to: string, subject: RegExp, options?: { nth?: number; timeoutMs?: number }): Promise<CaughtMail>;
  close(): Promise<void>;
}

/** A real SMTP server in this process, so mail goes out exactly as in production. */
export async function startMailCatcher(): Promise<MailCatcher> {
  const caught: CaughtMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    // smtp-server's bundled certificate has expired (STACK-NOTES): plain SMTP on loopback.
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then((mail) => {
        const to = Array.isArray(mail.to) ? mail.to[0]?.text : mail.to?.text;
        caught.push({ to: to ?? '', subject: mail.subject ?? '', text: mail.text ?? '' });
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    async waitFor(to, subject, { nth = 0, timeoutMs = 15_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mail = caught.filter((m) => m.to === to && subject.test(m.subject))[nth];
        if (mail) return mail;
        if (Date.now() > deadline) {
          const seen = caught.map((m) => `${m.to}: ${m.subject}`).join('; ') || 'none';
          throw new Error(
            `No mail #${nth} to ${to} matching ${subject} within ${timeoutMs} ms (received: ${seen})`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The first link in a mail that starts with `prefix`. */
export function linkIn(mail: CaughtMail, prefix: string): string {
  const link = mail.text.match(/https?:\/\/\S+/g)?.find((url) => url.startsWith(prefix));
  if (!link) throw new Error(`No link starting with ${prefix} in mail "${mail.subject}":\n${mail.text}`);
  return link;
}
