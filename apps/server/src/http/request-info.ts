import type { Context } from '@tessera/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { addressBudget } from '../limits/client-address.js';
import { refreshCookieFor, type RefreshCookieOptions } from './refresh-cookie.js';

/**
 * What procedures learn about the HTTP request, for tRPC and REST alike. Routes that never
 * sign anyone in (the user export) pass no cookie options: the refresh cookie is not theirs.
 */
export function requestInfo(
  req: FastifyRequest,
  res: FastifyReply,
  cookie?: RefreshCookieOptions,
): Context['request'] {
  const refreshCookie = cookie && refreshCookieFor(req, res, cookie);
  return {
    setHeader: (name, value) => void res.header(name, value),
    // req.ip honours X-Forwarded-For only when TRUST_PROXY says so.
    ip: req.ip ?? null,
    clientAddress: addressBudget(req.ip),
    userAgent: req.headers['user-agent']?.slice(0, 512) ?? null,
    authorization: req.headers.authorization,
    ...(refreshCookie ? { refreshCookie } : {}),
    locale: req.locale,
  };
}
