import type { MailSink, ReceivedMail } from '../helpers/mail-sink.js';

/**
 * Waits for the `nth` (0-based) mail to `to` whose subject matches: signing up mails a
 * verification link, and asking again sends a second one that supersedes it.
 */
export async function nthMail(
  sink: MailSink,
  to: string,
  subject: RegExp,
  nth: number,
  timeoutMs = 15_000,
): Promise<ReceivedMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mail = sink.received.filter((m) => m.to === to && subject.test(m.subject))[nth];
    if (mail) return mail;
    if (Date.now() > deadline)
      throw new Error(`No mail #${nth} to ${to} matching ${subject} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The first link in a mail that starts with `prefix` (an emailed link is `${PUBLIC_URL}/…`). */
export function linkIn(mail: ReceivedMail, prefix: string): string {
  const link = mail.text.match(/https?:\/\/\S+/g)?.find((url) => url.startsWith(prefix));
  if (!link) throw new Error(`No link starting with ${prefix} in mail "${mail.subject}":\n${mail.text}`);
  return link;
}
