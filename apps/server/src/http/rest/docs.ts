import { createHash } from 'node:crypto';
import scalar from '@scalar/fastify-api-reference';
import type { FastifyInstance } from 'fastify';

/** Where the interactive API reference lives. */
export const DOCS_PATH = '/docs';

/**
 * The API reference page (Scalar), entirely from this origin: its script is served by the
 * plugin itself, and every feature that would reach Scalar's servers is off — web fonts,
 * telemetry, the AI agent, MCP — so the page works offline and leaks nothing.
 */
export async function registerDocs(app: FastifyInstance, openApiUrl: string): Promise<void> {
  await app.register(async (scope) => {
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

    await scope.register(scalar, {
      routePrefix: DOCS_PATH,
      logLevel: 'warn',
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
  });
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
