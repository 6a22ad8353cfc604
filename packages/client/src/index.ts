import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { AppRouter, RouterInputs, RouterOutputs } from '@tessera/api';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';

export type { AppRouter, RouterInputs, RouterOutputs };

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
}

/** The typed Tessera client: `client.auth.login.mutate({ email, password })`. */
export function createClient(options: ClientOptions) {
  const url = options.url.replace(/\/+$/, '');
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: url.endsWith('/trpc') ? url : `${url}/trpc`,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        async headers() {
          const extra = typeof options.headers === 'function' ? await options.headers() : options.headers;
          const token = options.getToken ? await options.getToken() : options.token;
          return { ...extra, ...(token ? { authorization: `Bearer ${token}` } : {}) };
        },
      }),
    ],
  });
}

export type TesseraClient = ReturnType<typeof createClient>;

/** An error thrown by a client call. */
export type TesseraClientError = TRPCClientError<AppRouter>;

/** The error code of a failed call (`'UNAUTHORIZED'`, `'CONFLICT'`, …), or undefined. */
export function errorCode(error: unknown): TRPC_ERROR_CODE_KEY | undefined {
  return isTesseraError(error) ? error.data?.code : undefined;
}

/** Field errors of a BAD_REQUEST (`{ password: ['Password must be…'] }`), or undefined. */
export function fieldErrors(error: unknown): Record<string, string[] | undefined> | undefined {
  if (!isTesseraError(error)) return undefined;
  const data = error.data as { fieldErrors?: Record<string, string[] | undefined> | null } | undefined;
  return data?.fieldErrors ?? undefined;
}

/** True for errors thrown by a Tessera client call. */
export function isTesseraError(error: unknown): error is TesseraClientError {
  return error instanceof TRPCClientError;
}
