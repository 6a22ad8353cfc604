import type { Meta, RefreshCookie } from '@tessera/api';
import type {} from '@fastify/cookie'; // its request.cookies and reply.setCookie types
import type { AnyTRPCRouter } from '@trpc/server';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The header by which the web app asks to keep its refresh token in a cookie
 * (`X-Tessera-Session: cookie`). Without it a request is served exactly as before, the token
 * in the body, whatever cookies it carries. A page of another origin cannot send it: it is
 * not a CORS-safelisted header and the CORS allow-list does not admit it (README, Security).
 */
export const SESSION_MODE_HEADER = 'x-tessera-session';

/** Named with `__Secure-` over https, so a page served over plain http cannot set or replace it. */
const COOKIE_NAME = 'tessera_refresh';
const SECURE_COOKIE_NAME = `__Secure-${COOKIE_NAME}`;

/**
 * The URL paths of the procedures that spend a refresh token (`meta.spendsRefreshToken`):
 * the cookie is sent to these only, never with an ordinary call. Each transport gives how a
 * procedure's path becomes its URL.
 */
export function spendingPaths(
  router: AnyTRPCRouter,
  url: (path: string, meta: Meta) => string | undefined,
): string[] {
  const procedures = router._def.procedures as Record<string, { _def: { meta?: Meta } }>;
  return Object.entries(procedures).flatMap(([path, procedure]) => {
    const meta = procedure._def.meta;
    const at = meta?.spendsRefreshToken ? url(path, meta) : undefined;
    return at ? [at] : [];
  });
}

export interface RefreshCookieOptions {
  /** The URL paths the cookie is scoped to (spendingPaths). */
  paths: readonly string[];
  /** True when PUBLIC_URL is https (TLS may end at a proxy in front of us). */
  publicUrlIsHttps: boolean;
}

/**
 * The refresh-token cookie of one request, or undefined when the request did not opt in, or
 * came from another site (Fetch Metadata): the cookie is for the app this server serves.
 * HttpOnly (script never reads it), SameSite=Strict (no other site's request carries it),
 * Secure over https, and scoped to the procedures that spend it.
 */
export function refreshCookieFor(
  req: FastifyRequest,
  reply: FastifyReply,
  options: RefreshCookieOptions,
): RefreshCookie | undefined {
  if (req.headers[SESSION_MODE_HEADER] !== 'cookie') return undefined;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return undefined;
  const secure = options.publicUrlIsHttps || req.protocol === 'https';
  const name = secure ? SECURE_COOKIE_NAME : COOKIE_NAME;
  const attributes = { httpOnly: true, sameSite: 'strict', secure } as const;
  return {
    read: () => req.cookies[name] || undefined,
    write(token, maxAgeSeconds) {
      for (const path of options.paths)
        reply.setCookie(name, token, { ...attributes, path, maxAge: maxAgeSeconds });
    },
    clear() {
      for (const path of options.paths) reply.clearCookie(name, { ...attributes, path });
    },
  };
}
