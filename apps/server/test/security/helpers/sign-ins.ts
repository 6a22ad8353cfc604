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
