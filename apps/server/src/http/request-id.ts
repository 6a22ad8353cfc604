import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyInstance } from 'fastify';

/** What a request id taken from a proxy may look like: a token up to 128 characters, nothing a log or header could mistake. */
const VALID_ID = /^[A-Za-z0-9._:+/=@-]{1,128}$/;

/** W3C trace context: version 00, a 32-hex trace id (not all zeros), a span id, flags. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/**
 * Fastify's `genReqId`: every request gets an id, for its log lines, the `X-Request-Id`
 * answer header and the body of a 5xx. A proxy we trust (TRUST_PROXY, the same rule as for
 * `X-Forwarded-For`) may hand us its id: `X-Request-Id` when it is a plain token of at most
 * 128 characters, else the trace id of a valid `traceparent`, so log lines and traces share
 * one id. From anyone else, or malformed, a new UUID: a client must not be able to write
 * into our logs or pass its request off as another one.
 */
export function requestIdGenerator(trustProxy: boolean | string[]): (req: IncomingMessage) => string {
  const trusted =
    trustProxy === true ? () => true : trustProxy === false ? () => false : proxyAddr.compile(trustProxy);
  return (req) => {
    const peer = req.socket?.remoteAddress;
    if (peer !== undefined && trusted(peer, 0)) {
      const given = req.headers['x-request-id'];
      if (typeof given === 'string' && VALID_ID.test(given)) return given;
      const traceId = traceIdOf(req.headers.traceparent);
      if (traceId) return traceId;
    }
    return randomUUID();
  };
}

/** The trace id of a well-formed `traceparent` header, or undefined. */
export function traceIdOf(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const traceId = TRACEPARENT.exec(header.trim())?.[1];
  return traceId && !/^0+$/.test(traceId) ? traceId : undefined;
}

/**
 * Echoes the id on every answer (`X-Request-Id`), and writes it into the body of every 5xx
 * (`data.requestId`; tRPC: `error.data.requestId` of each failed call), so a user's report
 * of "it failed" leads straight to the log lines of that request.
 */
export function registerRequestIds(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    done();
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 500 || typeof payload !== 'string') return payload;
    return withRequestId(payload, request.id);
  });
}

/** The JSON error body with `requestId` added to its `data` (each tRPC envelope's), or the payload unchanged. */
export function withRequestId(payload: string, id: string): string {
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return payload;
  }
  const stamp = (shape: unknown) => {
    if (typeof shape !== 'object' || shape === null) return;
    const record = shape as Record<string, unknown>;
    const target = 'error' in record && typeof record.error === 'object' ? record.error : record;
    if (typeof target !== 'object' || target === null) return;
    const withData = target as Record<string, unknown>;
    withData.data = { ...(typeof withData.data === 'object' ? withData.data : {}), requestId: id };
  };
  // A batch: only the calls that failed carry an error to stamp.
  if (Array.isArray(body))
    body.filter((entry) => typeof entry === 'object' && entry && 'error' in entry).forEach(stamp);
  else stamp(body);
  return JSON.stringify(body);
}
