import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import type { AppRouter } from '@tessera/api';

export interface RetryOptions {
  /** Retries after the first attempt (default 2). */
  retries?: number;
  /** A wait longer than this (a sign-in lockout's Retry-After, say) is not waited out: the error is returned (default 10 s). */
  maxDelayMs?: number;
  /** Wait when the answer names none: doubled each retry (default 500 ms). */
  baseDelayMs?: number;
}

/** Statuses that mean "not now": the server did nothing and says when to come back. */
const RETRYABLE = new Set([429, 503]);

/**
 * Retries a call refused with 503 (database unreachable, overloaded) or 429 (too many
 * attempts), after the server's `Retry-After` when it gives one, like tRPC's own retryLink
 * but with the wait the answer asks for. Nothing else is retried: a 4xx is an answer.
 */
export function retryLink(options: RetryOptions = {}): TRPCLink<AppRouter> {
  const retries = options.retries ?? 2;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const baseDelayMs = options.baseDelayMs ?? 500;
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        let current: Unsubscribable | undefined;
        let timer: ReturnType<typeof setTimeout> | undefined;
        let closed = false;
        const attempt = (done: number) => {
          current = next(op).subscribe({
            next: (value) => observer.next(value),
            complete: () => observer.complete(),
            error: (error) => {
              const wait = done < retries ? retryDelay(error, baseDelayMs * 2 ** done) : undefined;
              if (closed || wait === undefined || wait > maxDelayMs) return observer.error(error);
              timer = setTimeout(() => attempt(done + 1), wait);
            },
          });
        };
        attempt(0);
        return () => {
          closed = true;
          clearTimeout(timer);
          current?.unsubscribe();
        };
      });
}

/** How long to wait before retrying `error`, or undefined when it is not worth retrying. */
export function retryDelay(error: unknown, fallbackMs: number): number | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const meta = (error as TRPCClientError<AppRouter>).meta as { response?: Response } | undefined;
  const status = meta?.response?.status ?? (error.data as { httpStatus?: number } | undefined)?.httpStatus;
  if (status === undefined || !RETRYABLE.has(status)) return undefined;
  const header = meta?.response?.headers.get('retry-after');
  if (!header) return fallbackMs;
  // Delta-seconds or an HTTP date (RFC 9110, 10.2.3).
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? fallbackMs : Math.max(0, date - Date.now());
}
