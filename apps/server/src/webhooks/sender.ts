import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { CheckedTarget } from './targets.js';

/** A receiver has this long, from the first byte we send, to answer with a status. */
export const DELIVERY_TIMEOUT_MS = 10_000;

export interface SignedDelivery {
  /** `webhook-id`: the same on every attempt of one delivery, so receivers can drop repeats. */
  id: string;
  /** The exact JSON body. */
  payload: string;
  /** The endpoint's `whsec_…` secret. */
  secret: string;
}

/** What one attempt got back: a status code, or no answer at all (with why). */
export type AttemptResult = { statusCode: number } | { statusCode: null; error: string };

/** The Standard Webhooks headers for one attempt: signed over `id.timestamp.body` with the secret. */
export function signatureHeaders(delivery: SignedDelivery, at: Date): Record<string, string> {
  return {
    'webhook-id': delivery.id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(delivery.secret).sign(delivery.id, at, delivery.payload),
  };
}

/**
 * POSTs one delivery to a checked target. The connection goes to the address that was
 * checked (a DNS answer that changes between check and connect — a rebind — is never asked
 * for); TLS still verifies the certificate for the URL's host name. Redirects are answers
 * like any other (a 3xx is not a 2xx); nothing is followed. No keep-alive: every attempt
 * connects afresh to its own checked address.
 */
export function postDelivery(target: CheckedTarget, delivery: SignedDelivery): Promise<AttemptResult> {
  const { url } = target;
  const body = Buffer.from(delivery.payload, 'utf8');
  const pinned: LookupFunction = (_hostname, options, callback) => {
    // Node asks for every address when it may race IPv4 and IPv6 (autoSelectFamily).
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const request = (url.protocol === 'https:' ? https : http).request;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const settle = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        lookup: pinned,
        headers: {
          'content-type': 'application/json',
          'content-length': String(body.length),
          'user-agent': 'Tessera-Webhooks/1',
          ...signatureHeaders(delivery, new Date()),
        },
      },
      (res: IncomingMessage) => {
        const statusCode = res.statusCode ?? 0;
        // The status is the answer; the body is not read (nor waited for).
        res.destroy();
        settle({ statusCode });
      },
    );
    const timer = setTimeout(() => {
      settle({ statusCode: null, error: `No answer within ${DELIVERY_TIMEOUT_MS / 1000} s` });
      req.destroy();
    }, DELIVERY_TIMEOUT_MS);
    req.on('error', (error: NodeJS.ErrnoException) =>
      settle({ statusCode: null, error: connectionError(error, target) }),
    );
    req.end(body);
  });
}

/** Words for the delivery log; never a stack. */
function connectionError(error: NodeJS.ErrnoException, target: CheckedTarget): string {
  const at = `${target.url.host} (${target.address})`;
  switch (error.code) {
    case 'ECONNREFUSED':
      return `Connection refused by ${at}`;
    case 'ECONNRESET':
      return `Connection reset by ${at}`;
    case 'ETIMEDOUT':
      return `Connection to ${at} timed out`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${at} is unreachable`;
    default:
      return `${error.code ?? 'Error'}: ${error.message}`.slice(0, 300);
  }
}
