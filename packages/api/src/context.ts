import type { Locale } from './i18n/locales.js';
import type { Deps, SessionRecord, UserRecord } from './ports/index.js';

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
}

/** The tRPC context: the ports and the request. Built per request by the server. */
export interface Context {
  deps: Deps;
  request: RequestInfo;
}

/** The signed-in caller: a live session and its (fresh, not-disabled) user. */
export interface Actor {
  user: UserRecord;
  session: SessionRecord;
}
