import { connect } from 'node:net';
import { errorCode } from '@tessera/client';
import { uniqueEmail, type SecurityServer } from './harness.js';

/** A password no test account has. */
export const WRONG_PASSWORD = 'not the right password at all';

/** The outcome of each settled call: its error code, or OK. */
export function outcomes(results: PromiseSettledResult<unknown>[]): string[] {
  return results.map((r) => (r.status === 'rejected' ? (errorCode(r.reason) ?? String(r.reason)) : 'OK'));
}

/** How many of `codes` are `code`. */
export function count(codes: string[], code: string): number {
  return codes.filter((c) => c === code).length;
}

/**
 * `total` failed sign-ins at once, each to an account of its own (so the per-account limit
 * never stops them first), the i-th from `addresses[i % addresses.length]`: their outcomes.
 */
export async function failedSignIns(
  server: SecurityServer,
  addresses: string | string[],
  total: number,
): Promise<string[]> {
  const from = typeof addresses === 'string' ? [addresses] : addresses;
  return outcomes(
    await Promise.allSettled(
      Array.from({ length: total }, (_, i) =>
        server
          .client({ address: from[i % from.length]! })
          .auth.login.mutate({ email: uniqueEmail('wrong'), password: WRONG_PASSWORD }),
      ),
    ),
  );
}

/**
 * Sends a sign-in over a raw socket from `address` (X-Forwarded-For) and closes the socket
 * `afterMs` later, as a client that gives up does. With `partial`, only half the body is sent:
 * the server never gets to check a password. Resolves with the bytes of answer that arrived
 * before the socket closed.
 */
export function abandonSignIn(
  server: SecurityServer,
  body: { email: string; password: string },
  address: string,
  { partial = false, afterMs }: { partial?: boolean; afterMs: number },
): Promise<number> {
  const { hostname, port } = new URL(server.url);
  const json = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    let received = 0;
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `POST /trpc/auth.login HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(json)}\r\nX-Forwarded-For: ${address}\r\n\r\n` +
          (partial ? json.slice(0, json.length >> 1) : json),
      );
      setTimeout(() => {
        socket.destroy();
        resolve(received);
      }, afterMs);
    });
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.on('error', reject);
  });
}
