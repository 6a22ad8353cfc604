import { createHash } from 'node:crypto';
import type scalar from '@scalar/fastify-api-reference';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

/** Where the interactive API reference lives. */
export const DOCS_PATH = '/docs';

/** The plugin that renders the reference page and serves its script (~5 MB of JavaScript in one string). */
export type ReferencePlugin = typeof scalar;

/** What the plugin answers on: the page, its address without the slash (a redirect), its script. */
const REFERENCE_ROUTES = [DOCS_PATH, `${DOCS_PATH}/`, `${DOCS_PATH}/js/scalar.js`];

/** Headers of the plugin's answers that the outer reply sets itself. */
const HOP_HEADERS = new Set(['content-length', 'connection', 'date', 'keep-alive', 'transfer-encoding']);

/**
 * The API reference page (Scalar), entirely from this origin: its script is served by the
 * plugin itself, and every feature that would reach Scalar's servers is off — web fonts,
 * telemetry, the AI agent, MCP — so the page works offline and leaks nothing.
 *
 * The plugin is loaded on the first request for the page, not at start: importing it costs
 * every node ~34 MB of RSS (its script is one 5 MB string), most of which never serve a
 * single page. Fastify takes no routes once it listens, so the plugin runs in a Fastify
 * instance of its own, created then, and its answers are relayed through these routes, under
 * this scope's headers.
 */
export async function registerDocs(
  app: FastifyInstance,
  openApiUrl: string,
  loadPlugin: () => Promise<ReferencePlugin> = async () =>
    (await import('@scalar/fastify-api-reference')).default,
): Promise<void> {
  await app.register((scope, _options, done) => {
    scope.addHook('onSend', async (request, reply, payload) => {
      reply.header('Referrer-Policy', 'no-referrer');
      reply.header('X-Frame-Options', 'DENY');
      const type = String(reply.getHeader('content-type') ?? '');
      if (typeof payload === 'string' && type.startsWith('text/html')) {
        reply.header('Content-Security-Policy', docsCsp(payload));
        // The page embeds its configuration only; it changes with a deploy, not per user.
        reply.header('Cache-Control', 'no-cache');
      }
      return payload;
    });

    let reference: Promise<FastifyInstance> | undefined;
    const relay = async (request: FastifyRequest, reply: FastifyReply) => {
      reference ??= startReference(openApiUrl, loadPlugin).catch((error: unknown) => {
        reference = undefined; // the next request tries again
        throw error;
      });
      const answer = await (await reference).inject({ method: 'GET', url: request.url });
      for (const [name, value] of Object.entries(answer.headers))
        if (value !== undefined && !HOP_HEADERS.has(name)) void reply.header(name, value);
      return reply.code(answer.statusCode).send(answer.body);
    };
    for (const url of REFERENCE_ROUTES) scope.get(url, { logLevel: 'warn' }, relay);
    scope.addHook('onClose', async () => {
      await (await reference?.catch(() => undefined))?.close();
    });
    done();
  });
}

async function startReference(openApiUrl: string, loadPlugin: () => Promise<ReferencePlugin>) {
  const reference = Fastify({ logger: false });
  await reference.register(await loadPlugin(), {
    routePrefix: DOCS_PATH,
    configuration: {
      url: openApiUrl,
      pageTitle: 'Tessera API reference',
      withDefaultFonts: false,
      telemetry: false,
      agent: { disabled: true },
      mcp: { disabled: true },
      showDeveloperTools: 'never',
      persistAuth: false,
      defaultHttpClient: { targetKey: 'shell', clientKey: 'curl' },
    },
  });
  await reference.ready();
  return reference;
}

/**
 * A strict policy for the reference page. Scalar boots from one inline script, which we
 * allow by its hash (computed from the very HTML we send, so it follows Scalar upgrades);
 * its components set inline styles, hence `'unsafe-inline'` for styles only.
 */
export function docsCsp(html: string): string {
  const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
    ([, body]) =>
      `'sha256-${createHash('sha256')
        .update(body ?? '')
        .digest('base64')}'`,
  );
  return [
    "default-src 'self'",
    `script-src 'self' ${hashes.join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
