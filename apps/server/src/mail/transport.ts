import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Transporter } from 'nodemailer';

/** A mail ready to leave. */
export interface Envelope {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The recipient's language (Content-Language). */
  language: string;
  link?: string | undefined;
}

export interface MailTransport {
  send(mail: Envelope): Promise<void>;
  close(): void;
}

export interface TransportSettings {
  smtpUrl: string | undefined;
  from: string;
  /** Where the embedded default writes `.eml` files. */
  dir: string;
}

/** SMTP connections a node keeps open at most (nodemailer's pool); the outbox sends this many mails at once. */
export const SMTP_CONNECTIONS = 5;

/**
 * SMTP when SMTP_URL is set; otherwise each mail becomes an `.eml` file under the data
 * folder and its link is logged, so the zero-set-up default is usable (DESIGN.md). That log
 * line is the one place a link is printed, and only in this development mode.
 *
 * nodemailer is loaded by the first mail, not at start: ~80 ms of start-up and a few MB on
 * every node, which may send nothing for hours.
 */
export function createMailTransport(settings: TransportSettings, log: FastifyBaseLogger): MailTransport {
  let transporter: Promise<Transporter> | undefined;
  const open = () =>
    (transporter ??= import('nodemailer').then(({ default: nodemailer }) =>
      settings.smtpUrl
        ? // URL query parameters become transport options (e.g. `?ignoreTLS=true`), as in
          // nodemailer. Pooled: up to SMTP_CONNECTIONS connections stay open and carry one mail
          // after another, rather than a TCP (and TLS) handshake and an SMTP greeting per mail.
          nodemailer.createTransport({
            url: settings.smtpUrl,
            pool: true,
            maxConnections: SMTP_CONNECTIONS,
            connectionTimeout: 10_000,
            greetingTimeout: 10_000,
            socketTimeout: 20_000,
          })
        : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' }),
    ));

  const writeEml = async (mail: Envelope, message: Buffer) => {
    await mkdir(settings.dir, { recursive: true, mode: 0o700 });
    const file = join(settings.dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.eml`);
    // Written aside, then renamed: whoever watches the folder never reads half a mail.
    await writeFile(`${file}.part`, message, { mode: 0o600 });
    await rename(`${file}.part`, file);
    log.info({ to: mail.to, subject: mail.subject, file, link: mail.link }, 'mail written (no SMTP_URL set)');
  };

  return {
    async send(mail) {
      const info = (await (
        await open()
      ).sendMail({
        from: settings.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: { 'Content-Language': mail.language },
      })) as { message?: Buffer };
      if (!settings.smtpUrl) await writeEml(mail, info.message!);
    },
    close: () => void transporter?.then((transport) => transport.close()),
  };
}
