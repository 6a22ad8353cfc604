import type { IncomingMessage } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toRestError } from './rest/errors.js';

/** An error body in the shape of every other (rest/errors.ts): a code, a message, a stable reason; never the input. */
function refusal(status: number, code: string, reason: string, message: string) {
  return toRestError(status, { code, message, data: { reason } });
}

/**
 * The request target in origin form (`/api/…?…`), for Fastify's `rewriteUrl`. HTTP/1.1 lets a
 * client write the absolute form (`POST http://host/api/auth/login`); the router strips the
 * origin, but `request.url` kept it, so every hook that reads the path (the limits, the
 * enumeration floor, `no-store`, the key check) saw no API path while the procedure ran.
 * Rewritten before routing, every part of the server sees the one path that runs.
 */
export function originForm(req: IncomingMessage): string {
  const url = req.url ?? '/';
  if (url.startsWith('/')) return url;
  try {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    // `*` (OPTIONS *) or garbage: leave it to the router, which answers 404.
    return url;
  }
}

/**
 * Fastify's answers to a URL it cannot route (bad percent-encoding, a path parameter longer
 * than maxParamLength) quote the whole URL back. Passed as Fastify's `frameworkErrors`, this
 * answers them like any other error instead. They skip every hook, so they carry the headers
 * an API answer gets (security.ts) themselves.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.headers({
    'X-Request-Id': request.id,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  });
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
    void reply.code(414).send(refusal(414, 'URI_TOO_LONG', 'uri_too_long', 'The request path is too long'));
  else if (error.code === 'FST_ERR_BAD_URL')
    void reply
      .code(400)
      .send(refusal(400, 'BAD_REQUEST', 'malformed_url', 'The request path is not valid percent-encoding'));
  else void reply.code(500).send(toRestError(500, {}));
}

const FIXED_MESSAGES: Readonly<Record<number, string>> = {
  413: 'Request body is too large',
  415: 'Send the body as JSON (Content-Type: application/json)',
};

/**
 * Errors Fastify raises outside the REST scope (which has its own handler): a tRPC body of
 * the wrong media type or over the limit, malformed JSON sent to no route. Fastify's default
 * body has no `reason`, and a parser's message may quote the input; answer in the one shape.
 */
export function answerErrorsInShape(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    // Fastify's own words quote the input (`Unsupported Media Type: <the header>`): fixed ones.
    const message = /JSON/i.test(error.message)
      ? 'The request body is not valid JSON'
      : (FIXED_MESSAGES[status] ?? 'The request was refused');
    return reply.code(status).send(toRestError(status, { message }));
  });
}

/**
 * A GET or HEAD request with a body is refused before anything reads it. Fastify never
 * parses such a body, so no limit applies to it, and Node would read and discard all of it
 * (50 MB to /healthz were read whole). `Connection: close` ends the exchange there.
 */
export function refuseBodiesOnReads(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    const length = request.headers['content-length'];
    const hasBody =
      request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (!hasBody) return;
    return reply
      .code(400)
      .header('Connection', 'close')
      .send(refusal(400, 'BAD_REQUEST', 'unexpected_body', 'A GET or HEAD request carries no body'));
  });
}
