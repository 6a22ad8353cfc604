import type { Locale } from '../i18n/locales.js';

/** One email as the domain composes it. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The recipient's language: the mail's Content-Language (and its `<html lang>`). */
  language: Locale;
  /** The action link, when there is one (the embedded file transport logs it). */
  link?: string;
  /** True when the body carries a live token: it is encrypted at rest and cleared once sent. */
  secret: boolean;
}

export interface OutboxStore {
  /** Queues a mail in the caller's transaction; a worker sends it after commit. */
  enqueue(mail: OutgoingMail): Promise<void>;
}
