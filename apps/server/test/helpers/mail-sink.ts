import { perFile } from './per-file.js';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The Content-Language header. */
  language: string | undefined;
  /** The first link in the text body that points at `origin`, if any. */
  link: string | undefined;
}

export interface MailSink {
  /** `smtp://127.0.0.1:<port>?ignoreTLS=true`, for SMTP_URL. */
  url: string;
  received: ReceivedMail[];
  /** Waits until a mail to `to` matching `subject` arrives (default 10 s). */
  waitFor(to: string, subject?: RegExp, timeoutMs?: number): Promise<ReceivedMail>;
  /** Stops accepting connections (SMTP "down"); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A real SMTP server in-process (smtp-server) that parses what it receives with mailparser. */
export async function startMailSink(): Promise<MailSink> {
  const received: ReceivedMail[] = [];
  let port = 0;
  let server: SMTPServer;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = new SMTPServer({
        authOptional: true,
        // The bundled certificate has expired (STACK-NOTES): plain SMTP on loopback.
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onData(stream, _session, callback) {
          simpleParser(stream)
            .then((mail) => {
              received.push(toReceived(mail));
              callback();
            })
            .catch(callback);
        },
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();

  return {
    get url() {
      return `smtp://127.0.0.1:${port}?ignoreTLS=true`;
    },
    received,
    async waitFor(to, subject, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mail = received.find((m) => m.to === to && (!subject || subject.test(m.subject)));
        if (mail) return mail;
        if (Date.now() > deadline)
          throw new Error(`no mail to ${to} matching ${subject} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    start: listen,
  };
}

function toReceived(mail: ParsedMail): ReceivedMail {
  const to = Array.isArray(mail.to) ? mail.to[0]?.text : mail.to?.text;
  const text = mail.text ?? '';
  return {
    to: to ?? '',
    subject: mail.subject ?? '',
    text,
    html: typeof mail.html === 'string' ? mail.html : '',
    language: headerText(mail.headers.get('content-language')),
    link: /https?:\/\/\S+/.exec(text)?.[0],
  };
}

/** A plain header's value (mailparser gives structured ones, like addresses, as objects). */
function headerText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The token carried in a link's fragment (`#token=…`). */
export function tokenFromLink(link: string | undefined): string {
  const token = new URLSearchParams(new URL(link ?? '').hash.slice(1)).get('token');
  if (!token) throw new Error(`no token in ${link}`);
  return token;
}

/** A mail sink started before the file's tests and stopped after them (see perFile). */
export function mailSinkPerFile(): MailSink {
  return perFile(startMailSink, (sink) => sink.stop());
}
