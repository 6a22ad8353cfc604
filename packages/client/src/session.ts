import { createTRPCClient, TRPCClientError, type Operation, type TRPCLink } from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import type { AppRouter, RouterInputs, RouterOutputs } from '@tessera/api';
import {
  CREDENTIAL_PATHS,
  transportLinks,
  type ClientOptions,
  type MaybePromise,
  type TesseraClient,
} from './create-client.js';
import { errorCode } from './errors.js';

/** What `auth.register`, `auth.refresh`, `auth.changePassword` and a finished sign-in return. */
export type AuthResult = RouterOutputs['auth']['register'];
/** What `auth.login` answers, instead of tokens, for an account with a second factor. */
export type MfaChallenge = Extract<RouterOutputs['auth']['login'], { mfaRequired: true }>;
/** A way to answer the second step: `totp`, `recovery_code` or `passkey`. */
export type MfaMethod = MfaChallenge['methods'][number];
/** WebAuthn options for `navigator.credentials.get()` (or @simplewebauthn/browser's `startAuthentication`). */
export type PasskeyRequestOptions = RouterOutputs['auth']['passkeyOptions'];
/** A passkey's assertion (`AuthenticationResponseJSON`), as the browser's `toJSON()` gives it. */
export type PasskeyAssertion = RouterInputs['auth']['passkeyLogin']['response'];
/** Asks the browser (or an authenticator) for an assertion to these options. */
export type GetAssertion = (options: PasskeyRequestOptions) => Promise<PasskeyAssertion>;

/** The second step of a sign-in, to answer within 5 minutes with at most 5 wrong codes. */
export interface SecondFactorStep {
  /** What the account can answer with. */
  readonly methods: readonly MfaMethod[];
  /** The token `auth.verifyMfa` takes, for callers that drive the procedures themselves. */
  readonly mfaToken: string;
  /**
   * Answers with an authenticator-app code or a recovery code; resolves with the signed-in
   * user. A wrong code rejects (reason `invalid_mfa_code`) and the step may be answered
   * again; once it is spent, expired or out of tries it rejects with `invalid_mfa_token`:
   * sign in again.
   */
  verify(code: string): Promise<User>;
  /** Answers with a passkey: fetches a challenge, hands it to `getAssertion`, sends the answer. */
  verifyPasskey(getAssertion: GetAssertion): Promise<User>;
}

/** What `signIn` resolves to: signed in, or a second factor to answer first. */
export type SignInResult =
  { status: 'signed-in'; user: User } | { status: 'mfa-required'; challenge: SecondFactorStep };
/** A user as the API returns it. */
export type User = RouterOutputs['users']['me'];

/**
 * Where a session keeps its refresh token (the access token never leaves memory). Either
 * method may be async: React Native's SecureStore or a server framework's session store.
 */
export interface RefreshTokenStore {
  get(): MaybePromise<string | null>;
  set(token: string | null): MaybePromise<void>;
}

/**
 * The refresh token stays with the server, in an HttpOnly cookie this script cannot read:
 * for a browser app served by Tessera itself (same origin). README, Security.
 */
export const COOKIE = 'cookie';

/** The header that asks the server for the cookie (apps/server/src/http/refresh-cookie.ts). */
export const COOKIE_MODE_HEADERS: Readonly<Record<string, string>> = { 'x-tessera-session': 'cookie' };

/**
 * Tells the other sessions on the same refresh token (browser tabs) when this one signs in
 * or out, and hears theirs: see `broadcastSync`.
 */
export interface SessionSync {
  post(event: 'signed-in' | 'signed-out'): void;
  subscribe(listener: (event: 'signed-in' | 'signed-out') => void): () => void;
}

/** Keeps the refresh token in memory only: the session ends with the process or page. */
export function memoryStore(): { get(): string | null; set(token: string | null): void } {
  let token: string | null = null;
  return {
    get: () => token,
    set: (next) => {
      token = next;
    },
  };
}

/** Why a session ended: the user signed out, or the server no longer honours it. */
export type SignOutReason = 'signed-out' | 'expired';

export type SessionEvent =
  | { type: 'signed-in'; user: User }
  | { type: 'refreshed'; user: User }
  | { type: 'signed-out'; reason: SignOutReason };

export interface SessionOptions extends Omit<ClientOptions, 'token' | 'getToken'> {
  /**
   * Where the refresh token lives: in memory unless given, or `'cookie'` for an HttpOnly
   * cookie the server keeps (a browser app on Tessera's own origin; `createBrowserSession`).
   */
  store?: RefreshTokenStore | typeof COOKIE;
  /** Follows sign-ins and sign-outs of other sessions on the same token (browser tabs). */
  sync?: SessionSync;
  /**
   * Runs each refresh under a lock shared with other sessions on the same store (browser
   * tabs: `navigator.locks`), so two of them never spend the same refresh token at once.
   */
  lock?: <T>(run: () => Promise<T>) => Promise<T>;
  /** Refresh this many seconds before the access token expires (default 30). */
  refreshMarginSeconds?: number;
  /** The clock, for tests. */
  now?: () => number;
}

/** A signed-in (or not yet signed-in) user of Tessera, with tokens managed for you. */
export interface Session {
  /** The typed client: it attaches the access token, refreshes it when due, and retries once on UNAUTHORIZED. */
  readonly client: TesseraClient;
  /** The user of the last sign-in or refresh, if any. */
  readonly user: User | null;
  /**
   * False once the session is known to hold no refresh token; true while it holds one or
   * may (an async store not yet read, a cookie not yet tried: `refresh()` tells).
   */
  readonly signedIn: boolean;
  /**
   * Signs in with email and password. For an account with a second factor it resolves with
   * the step to answer (`challenge.verify(code)` or `challenge.verifyPasskey(…)`), which signs
   * the session in; otherwise the session is signed in already. Wrong credentials reject
   * (reason `invalid_credentials`).
   */
  signIn(credentials: { email: string; password: string }): Promise<SignInResult>;
  /**
   * Signs in with a passkey alone: fetches a challenge (optionally bound to `email`), hands it
   * to `getAssertion` — in a browser, `(options) => startAuthentication({ optionsJSON: options })`
   * from @simplewebauthn/browser — and sends the answer.
   */
  signInWithPasskey(getAssertion: GetAssertion, options?: { email?: string }): Promise<User>;
  /** Adopts the tokens of an `AuthResult` (register, refresh, changePassword or a finished sign-in). */
  accept(result: AuthResult): void;
  /** Rotates the tokens now; concurrent callers share one request. False when the session is gone. */
  refresh(): Promise<boolean>;
  /** Ends this session on the server (best effort) and forgets its tokens. */
  signOut(): Promise<void>;
  /** Forgets the tokens without telling the server (after deleting the account, say). */
  forget(reason?: SignOutReason): void;
  /** The current access token, or null when none is held or it has expired. */
  accessToken(): string | null;
  /** Called on every sign-in, refresh and sign-out; returns an unsubscribe function. */
  subscribe(listener: (event: SessionEvent) => void): () => void;
}

/** Access token for one operation, set by the session link and read by the transport. */
const TOKEN_KEY = 'tesseraAccessToken';

/**
 * Creates a session: `session.client` is the typed client for signed-in calls, and the
 * session keeps its tokens fresh. The access token is only ever held in memory; the
 * refresh token goes to `store`.
 */
export function createSession(options: SessionOptions): Session {
  const cookie = options.store === COOKIE;
  const store = options.store === COOKIE ? undefined : (options.store ?? memoryStore());
  const now = options.now ?? Date.now;
  const marginMs = (options.refreshMarginSeconds ?? 30) * 1000;
  const listeners = new Set<(event: SessionEvent) => void>();
  const transport: SessionOptions = cookie
    ? { ...options, headers: withHeaders(options.headers, COOKIE_MODE_HEADERS) }
    : options;

  let access: { token: string; expiresAt: number } | null = null;
  let user: User | null = null;
  // What is known of the refresh token: undefined until the store is read or the cookie tried.
  let held: boolean | undefined = undefined;
  // Bumped on every sign-in and sign-out, so a refresh that started before one cannot
  // overwrite what came after it.
  let generation = 0;
  let inflight: Promise<boolean> | null = null;
  // Store writes in order, so a read never overtakes the write before it.
  let writes: Promise<unknown> = Promise.resolve();

  const emit = (event: SessionEvent) => {
    for (const listener of [...listeners]) listener(event);
  };

  const bare = createTRPCClient<AppRouter>({ links: transportLinks(transport, () => null) });

  function save(token: string | null) {
    if (!store) return;
    // Started now, in call order; reads wait for it (a synchronous store is written at once).
    writes = Promise.all([writes, store.set(token)]).catch(() => undefined);
  }

  /** The refresh-token input of auth.refresh / auth.logout, or null when none is held. */
  async function spendable(): Promise<{ refreshToken: string } | null> {
    if (!store) return held === false ? null : ({} as { refreshToken: string }); // the cookie stands in
    await writes;
    const token = await store.get();
    held = token !== null;
    return token === null ? null : { refreshToken: token };
  }

  function adopt(result: AuthResult) {
    // With the cookie the body has no refresh token: the server set the cookie instead.
    save(result.refreshToken);
    held = true;
    access = { token: result.accessToken, expiresAt: now() + result.expiresIn * 1000 };
    user = result.user;
  }

  function currentAccessToken(): string | null {
    if (!access || access.expiresAt - marginMs <= now()) return null;
    return access.token;
  }

  /** Drops the tokens; `quiet` when other tabs need not hear of it (they told us, or there was nothing). */
  function forget(reason: SignOutReason = 'signed-out', quiet = false) {
    const hadSession = access !== null || held !== false || user !== null;
    generation += 1;
    access = null;
    user = null;
    save(null);
    held = false;
    if (!quiet) options.sync?.post('signed-out');
    if (hadSession) emit({ type: 'signed-out', reason });
  }

  async function rotate(): Promise<boolean> {
    const started = generation;
    // Read the token only once the lock is held: another tab may just have rotated it.
    const spend = async () => {
      const input = await spendable();
      return input ? bare.auth.refresh.mutate(input) : null;
    };
    try {
      const result = await (options.lock ? options.lock(spend) : spend());
      if (!result) return false;
      if (started !== generation) return currentAccessToken() !== null;
      const first = user === null;
      adopt(result);
      emit(first ? { type: 'signed-in', user: result.user } : { type: 'refreshed', user: result.user });
      return true;
    } catch (error) {
      if (started !== generation) return currentAccessToken() !== null;
      // Only a definite "no" ends the session; a network fault or a 503 leaves it for a later try.
      if (errorCode(error) === 'UNAUTHORIZED') {
        // No token to begin with (a first visit) is no session that expired, just none.
        const had = held === true;
        forget(had ? 'expired' : 'signed-out', !had);
        return false;
      }
      throw error;
    }
  }

  function refresh(): Promise<boolean> {
    inflight ??= rotate().finally(() => {
      inflight = null;
    });
    return inflight;
  }

  /** An access token that is valid now, refreshing first if one is due; null if none can be had. */
  async function freshToken(): Promise<string | null> {
    const token = currentAccessToken();
    if (token || held === false) return token;
    try {
      await refresh();
    } catch {
      // The call goes out without a token and reports its own error.
    }
    return currentAccessToken();
  }

  const sessionLink: TRPCLink<AppRouter> =
    () =>
    ({ op, next }) =>
      observable((observer) => {
        let subscription: Unsubscribable | undefined;
        let closed = false;

        const send = async (retried: boolean) => {
          const isCredential = CREDENTIAL_PATHS.has(op.path);
          const token = isCredential ? null : await freshToken();
          if (closed) return;
          const withToken: Operation = { ...op, context: { ...op.context, [TOKEN_KEY]: token } };
          subscription = next(withToken).subscribe({
            next: (value) => observer.next(value),
            complete: () => observer.complete(),
            error: (error) => {
              const retry =
                !retried && !isCredential && errorCode(error) === 'UNAUTHORIZED' && held !== false;
              if (!retry || closed) return observer.error(error);
              // Another caller may have refreshed while this call was out: then just resend.
              const renewed = currentAccessToken();
              const ready = renewed && renewed !== token ? Promise.resolve(true) : refresh();
              ready.then(
                (ok) => (ok && !closed ? void send(true) : observer.error(error)),
                () => observer.error(error),
              );
            },
          });
        };

        send(false).catch((error: unknown) => observer.error(TRPCClientError.from(toError(error))));
        return () => {
          closed = true;
          subscription?.unsubscribe();
        };
      });

  const client = createTRPCClient<AppRouter>({
    links: [
      sessionLink,
      ...transportLinks(transport, (op) => (op.context[TOKEN_KEY] as string | null) ?? null),
    ],
  });

  // Another tab signed out: so has this one (the server session is gone). Another tab signed
  // in: adopt its session through the shared token (a refresh), unless this one has one.
  options.sync?.subscribe((event) => {
    if (event === 'signed-out') forget('signed-out', true);
    else if (currentAccessToken() === null) {
      held = undefined;
      void refresh().catch(() => undefined);
    }
  });

  function accept(result: AuthResult): User {
    generation += 1;
    adopt(result);
    options.sync?.post('signed-in');
    emit({ type: 'signed-in', user: result.user });
    return result.user;
  }

  function secondFactorStep(challenge: MfaChallenge, email: string): SecondFactorStep {
    const { mfaToken, methods } = challenge;
    return {
      mfaToken,
      methods,
      async verify(code) {
        return accept(await bare.auth.verifyMfa.mutate({ mfaToken, code }));
      },
      async verifyPasskey(getAssertion) {
        const options = await bare.auth.passkeyOptions.mutate({ email });
        const passkey = await getAssertion(options);
        return accept(await bare.auth.verifyMfa.mutate({ mfaToken, passkey }));
      },
    };
  }

  return {
    client,
    get user() {
      return user;
    },
    get signedIn() {
      return held !== false;
    },
    accept(result) {
      accept(result);
    },
    async signIn(credentials) {
      const result = await bare.auth.login.mutate(credentials);
      if ('mfaRequired' in result)
        return { status: 'mfa-required', challenge: secondFactorStep(result, credentials.email) };
      return { status: 'signed-in', user: accept(result) };
    },
    async signInWithPasskey(getAssertion, options = {}) {
      const requestOptions = await bare.auth.passkeyOptions.mutate(
        options.email ? { email: options.email } : {},
      );
      const response = await getAssertion(requestOptions);
      return accept(await bare.auth.passkeyLogin.mutate({ response }));
    },
    refresh,
    async signOut() {
      const input = await spendable();
      forget('signed-out');
      if (!input) return;
      try {
        await bare.auth.logout.mutate(input);
      } catch {
        // The tokens are gone here either way; the server session then simply expires.
      }
    },
    forget: (reason) => forget(reason),
    accessToken: currentAccessToken,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** `headers` with `more` added, whatever form `headers` took. */
function withHeaders(
  headers: ClientOptions['headers'],
  more: Readonly<Record<string, string>>,
): NonNullable<ClientOptions['headers']> {
  if (typeof headers === 'function') return async () => ({ ...(await headers()), ...more });
  return { ...headers, ...more };
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
