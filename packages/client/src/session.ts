import { createTRPCClient, TRPCClientError, type Operation, type TRPCLink } from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import type { AppRouter, RouterInputs, RouterOutputs } from '@tessera/api';
import { transportLink, type ClientOptions, type TesseraClient } from './create-client.js';
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

/** Where a session keeps its refresh token (the access token never leaves memory). */
export interface RefreshTokenStore {
  get(): string | null;
  set(token: string | null): void;
}

/** Keeps the refresh token in memory only: the session ends with the process or page. */
export function memoryStore(): RefreshTokenStore {
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
  /** Where the refresh token lives; in memory unless given (a browser app may pass localStorage). */
  store?: RefreshTokenStore;
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
  /** True while a refresh token is held (the access token may still need a refresh). */
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

/**
 * Procedures that carry their own credentials (a password, a refresh token, an emailed token):
 * they are sent without an access token, and an UNAUTHORIZED from them is an answer, not a
 * sign that the access token needs refreshing.
 */
const CREDENTIAL_PATHS = new Set([
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

/** Access token for one operation, set by the session link and read by the transport. */
const TOKEN_KEY = 'tesseraAccessToken';

/**
 * Creates a session: `session.client` is the typed client for signed-in calls, and the
 * session keeps its tokens fresh. The access token is only ever held in memory; the
 * refresh token goes to `store`.
 */
export function createSession(options: SessionOptions): Session {
  const store = options.store ?? memoryStore();
  const now = options.now ?? Date.now;
  const marginMs = (options.refreshMarginSeconds ?? 30) * 1000;
  const listeners = new Set<(event: SessionEvent) => void>();

  let access: { token: string; expiresAt: number } | null = null;
  let user: User | null = null;
  // Bumped on every sign-in and sign-out, so a refresh that started before one cannot
  // overwrite what came after it.
  let generation = 0;
  let inflight: Promise<boolean> | null = null;

  const emit = (event: SessionEvent) => {
    for (const listener of [...listeners]) listener(event);
  };

  const bare = createTRPCClient<AppRouter>({ links: [transportLink(options, () => null)] });

  function adopt(result: AuthResult) {
    store.set(result.refreshToken);
    access = { token: result.accessToken, expiresAt: now() + result.expiresIn * 1000 };
    user = result.user;
  }

  function currentAccessToken(): string | null {
    if (!access || access.expiresAt - marginMs <= now()) return null;
    return access.token;
  }

  function forget(reason: SignOutReason = 'signed-out') {
    const hadSession = access !== null || store.get() !== null || user !== null;
    generation += 1;
    access = null;
    user = null;
    store.set(null);
    if (hadSession) emit({ type: 'signed-out', reason });
  }

  async function rotate(): Promise<boolean> {
    const started = generation;
    // Read the token only once the lock is held: another tab may just have rotated it.
    const spend = async () => {
      const refreshToken = store.get();
      return refreshToken ? bare.auth.refresh.mutate({ refreshToken }) : null;
    };
    try {
      const result = await (options.lock ? options.lock(spend) : spend());
      if (!result) return false;
      if (started !== generation) return currentAccessToken() !== null;
      adopt(result);
      emit({ type: 'refreshed', user: result.user });
      return true;
    } catch (error) {
      if (started !== generation) return currentAccessToken() !== null;
      // Only a definite "no" ends the session; a network fault or a 503 leaves it for a later try.
      if (errorCode(error) === 'UNAUTHORIZED') {
        forget('expired');
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
    if (token || !store.get()) return token;
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
                !retried && !isCredential && errorCode(error) === 'UNAUTHORIZED' && store.get() !== null;
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
    links: [sessionLink, transportLink(options, (op) => (op.context[TOKEN_KEY] as string | null) ?? null)],
  });

  function accept(result: AuthResult): User {
    generation += 1;
    adopt(result);
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
      return store.get() !== null;
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
      const refreshToken = store.get();
      forget('signed-out');
      if (!refreshToken) return;
      try {
        await bare.auth.logout.mutate({ refreshToken });
      } catch {
        // The tokens are gone here either way; the server session then simply expires.
      }
    },
    forget,
    accessToken: currentAccessToken,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
