import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  splitLink,
  type Operation,
  type TRPCLink,
} from '@trpc/client';
import type { AppRouter } from '@tessera/api';
import { retryLink, type RetryOptions } from './retry.js';

export type MaybePromise<T> = T | Promise<T>;

export interface ClientOptions {
  /** Where Tessera runs, e.g. `http://localhost:3000` (the `/trpc` suffix is optional). */
  url: string;
  /** A fixed access token. */
  token?: string;
  /** Called before each request for the current access token (takes precedence over `token`). */
  getToken?: () => MaybePromise<string | null | undefined>;
  /** A `fetch` of your own (defaults to the global one). */
  fetch?: typeof fetch;
  /** Extra headers for every request. */
  headers?: Record<string, string> | (() => MaybePromise<Record<string, string>>);
  /**
   * Sends calls made together in one HTTP request (tRPC's httpBatchLink; at most 10, the
   * server's limit). Calls that carry credentials always travel alone. Off by default.
   */
  batch?: boolean;
  /** Retries 503 and 429 answers after their `Retry-After` (retry.ts). Off by default. */
  retry?: RetryOptions | boolean;
  /**
   * The language error messages come back in (sent as `Accept-Language`, e.g. "fr"); a
   * function is asked before each request, so a language switcher takes effect at once.
   * Without it, the server answers in its DEFAULT_LOCALE (or what `headers` says).
   */
  locale?: string | (() => string | undefined);
}

/** The typed Tessera client: `client.auth.login.mutate({ email, password })`. */
export function createClient(options: ClientOptions) {
  return createTRPCClient<AppRouter>({
    links: transportLinks(options, () => (options.getToken ? options.getToken() : options.token)),
  });
}

export type TesseraClient = ReturnType<typeof createClient>;

/** The server's most calls per batch (apps/server MAX_BATCH_SIZE). */
const MAX_BATCH_ITEMS = 10;

/**
 * Procedures that carry their own credentials (a password, a refresh token, an emailed token):
 * they are sent without an access token, alone (never in a batch: the refresh cookie is
 * scoped to its procedure's own URL), and an UNAUTHORIZED from them is an answer, not a sign
 * that the access token needs refreshing.
 */
export const CREDENTIAL_PATHS: ReadonlySet<string> = new Set([
  'auth.register',
  'auth.login',
  'auth.refresh',
  'auth.logout',
  'auth.requestPasswordReset',
  'auth.resetPassword',
  'auth.verifyEmail',
  'auth.verifyMfa',
  'auth.passkeyOptions',
  'auth.passkeyLogin',
]);

/** The links every client ends with; `token(op)` gives the bearer token for one call. */
export function transportLinks(
  options: Omit<ClientOptions, 'token' | 'getToken'>,
  token: (op: Operation) => MaybePromise<string | null | undefined>,
): TRPCLink<AppRouter>[] {
  const base = options.url.replace(/\/+$/, '');
  const url = base.endsWith('/trpc') ? base : `${base}/trpc`;
  const http = {
    url,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    async headers({ op }: { op: Operation }) {
      const extra = typeof options.headers === 'function' ? await options.headers() : options.headers;
      const bearer = await token(op);
      const locale = typeof options.locale === 'function' ? options.locale() : options.locale;
      return {
        ...extra,
        ...(locale ? { 'accept-language': locale } : {}),
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      };
    },
  };
  const single = httpLink(http);
  const transport = options.batch
    ? splitLink<AppRouter>({
        condition: (op) => CREDENTIAL_PATHS.has(op.path),
        true: single,
        false: httpBatchLink({
          ...http,
          maxItems: MAX_BATCH_ITEMS,
          // One header set per batch: the calls of a batch share their token.
          headers: ({ opList }) => http.headers({ op: opList[0] }),
        }),
      })
    : single;
  const retry = options.retry === true ? {} : options.retry || undefined;
  return retry ? [retryLink(retry), transport] : [transport];
}
