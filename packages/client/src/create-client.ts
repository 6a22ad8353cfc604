import { createTRPCClient, httpLink, type Operation, type TRPCLink } from '@trpc/client';
import type { AppRouter } from '@tessera/api';

type MaybePromise<T> = T | Promise<T>;

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
   * The language error messages come back in (sent as `Accept-Language`, e.g. "fr"); a
   * function is asked before each request, so a language switcher takes effect at once.
   * Without it, the server answers in its DEFAULT_LOCALE (or what `headers` says).
   */
  locale?: string | (() => string | undefined);
}

/** The typed Tessera client: `client.auth.login.mutate({ email, password })`. */
export function createClient(options: ClientOptions) {
  return createTRPCClient<AppRouter>({
    links: [transportLink(options, () => (options.getToken ? options.getToken() : options.token))],
  });
}

export type TesseraClient = ReturnType<typeof createClient>;

/** The HTTP link every client ends with; `token(op)` gives the bearer token for one call. */
export function transportLink(
  options: Omit<ClientOptions, 'token' | 'getToken'>,
  token: (op: Operation) => MaybePromise<string | null | undefined>,
): TRPCLink<AppRouter> {
  const url = options.url.replace(/\/+$/, '');
  return httpLink({
    url: url.endsWith('/trpc') ? url : `${url}/trpc`,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    async headers({ op }) {
      const extra = typeof options.headers === 'function' ? await options.headers() : options.headers;
      const bearer = await token(op);
      const locale = typeof options.locale === 'function' ? options.locale() : options.locale;
      return {
        ...extra,
        ...(locale ? { 'accept-language': locale } : {}),
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      };
    },
  });
}
