import type { Locale } from './i18n/locales.js';
import type { ApiKeyRecord, Deps, SessionRecord, UserRecord } from './ports/index.js';

/** What the transport tells us about the caller. */
export interface RequestInfo {
  ip: string | null;
  /**
   * The budget the client's address counts against, as the per-address limits compute it
   * (an IPv4 address, an IPv6 /64): the key of the limits a service counts itself
   * (address-limits.ts).
   */
  clientAddress: string;
  userAgent: string | null;
  /** The raw `Authorization` header, if any. */
  authorization: string | undefined;
  /** The language the caller asked for (Accept-Language, among the supported ones): error messages use it. */
  locale: Locale;
  /** Sets a response header (e.g. `Retry-After` on a 429). */
  setHeader(name: string, value: string): void;
  /**
   * The web app's refresh-token cookie, present only on requests that asked for it (the
   * transport decides who may): the refresh token of an `AuthResult` then goes into it
   * instead of the body, and the procedures that spend one read it from there (trpc.ts).
   */
  refreshCookie?: RefreshCookie;
}

/** Where a browser keeps its refresh token out of script's reach (an HttpOnly cookie). */
export interface RefreshCookie {
  /** The token the browser sent, if any. */
  read(): string | undefined;
  write(token: string, maxAgeSeconds: number): void;
  clear(): void;
}

/** The tRPC context: the ports and the request. Built per request by the server. */
export interface Context {
  deps: Deps;
  request: RequestInfo;
}

/** A signed-in person: a live session and its (fresh, not-disabled) user. */
export interface Actor {
  user: UserRecord;
  session: SessionRecord;
}

/** Another service calling with an API key (live: neither revoked nor expired), acting with its role. */
export interface KeyActor {
  apiKey: ApiKeyRecord;
}

/** Whoever a request acts as: a signed-in person, or a service with an API key. */
export type Caller = Actor | KeyActor;

/** True for a person (a session), false for an API key. */
export function isPerson(caller: Caller): caller is Actor {
  return 'user' in caller;
}
