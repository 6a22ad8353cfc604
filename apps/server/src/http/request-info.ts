import type { Context } from '@tessera/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { addressBudget } from '../limits/client-address.js';

/** What procedures learn about the HTTP request, for tRPC and REST alike. */
export function requestInfo(req: FastifyRequest, res: FastifyReply): Context['request'] {
  return {
    setHeader: (name, value) => void res.header(name, value),
    // req.ip honours X-Forwarded-For only when TRUST_PROXY says so.
    ip: req.ip ?? null,
    clientAddress: addressBudget(req.ip),
    userAgent: req.headers['user-agent']?.slice(0, 512) ?? null,
    authorization: req.headers.authorization,
    locale: req.locale,
  };
}
