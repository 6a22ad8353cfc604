import type { OutboxStore } from '@tessera/api';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { sealBody, type MailBody } from '../sealed.js';

/** Queues mail as `email_outbox` rows; bodies carrying a live token are encrypted. */
export function outboxStore(db: Kysely<Database>, mailKey: Uint8Array | undefined): OutboxStore {
  return {
    async enqueue(mail) {
      const body: MailBody = { text: mail.text, html: mail.html, ...(mail.link ? { link: mail.link } : {}) };
      if (mail.secret && !mailKey) throw new Error('A mail encryption key is required to queue this mail');
      await db
        .insertInto('email_outbox')
        .values({
          recipient: mail.to,
          subject: mail.subject,
          language: mail.language,
          body: mail.secret ? sealBody(body, mailKey!) : JSON.stringify(body),
          body_encrypted: mail.secret,
        })
        .execute();
    },
  };
}
