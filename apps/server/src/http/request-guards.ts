import type { IncomingMessage } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestLocale, type LanguageSettings } from './language.js';
import { fastifyErrorBody, refusalBody, toRestError } from './rest/errors.js';

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
export const frameworkErrors =
  (locales: LanguageSettings) =>
  (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    // No hook runs for these (nor any request decoration): the language is decided here.
    const locale = requestLocale(request, locales);
    reply.headers({
      'X-Request-Id': request.id,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
    });
    if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
      void reply.code(414).send(refusalBody(414, 'uri_too_long', locale));
    else if (error.code === 'FST_ERR_BAD_URL')
      void reply.code(400).send(refusalBody(400, 'malformed_url', locale));
    else void reply.code(500).send(toRestError(500, {}, locale));
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
    // Fastify's own words quote the input (`Unsupported Media Type: <the header>`): ours instead.
    return reply.code(status).send(fastifyErrorBody(status, error, request.locale));
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
      .send(refusalBody(400, 'unexpected_body', request.locale));
  });
}
