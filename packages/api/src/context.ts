import type { Deps, SessionRecord, UserRecord } from './ports/index.js';

/** What the transport tells us about the caller. */
export interface RequestInfo {
  ip: string | null;
  userAgent: string | null;
  /** The raw `Authorization` header, if any. */
  authorization: string | undefined;
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
