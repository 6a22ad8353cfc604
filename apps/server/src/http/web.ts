import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { refusalBody } from './rest/errors.js';

/**
 * What every page may load: only files from this origin, no inline or injected script
 * (injected script could act as the signed-in user, though it can never read the refresh
 * token: that lives in an HttpOnly cookie), and no framing. The reset page's token is in the URL fragment; with no
 * referrer and nothing from other origins it never leaves the browser.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS: Record<string, string> = {
  'Content-Security-Policy': PAGE_CSP,
  'Referrer-Policy': 'no-referrer',
  // For browsers that predate frame-ancestors.
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  // The page is tiny and names its hashed assets: always ask for the current one.
  'Cache-Control': 'no-cache',
};

/** The page paths the web build lists in routes.json (from apps/web/src/paths.ts). */
const pageRoutes = z.array(z.string().regex(/^\/[\w\-/]*$/)).min(1);

/**
 * The web app's page routes, as its build wrote them: one list for the router and the server.
 * A build without it is refused at start, or emailed links would 404 for anything but a browser.
 */
function readPageRoutes(dist: string): string[] {
  const file = join(dist, 'routes.json');
  if (!existsSync(file))
    throw new Error(`${file} is missing: the web app's build is incomplete, rebuild it (pnpm build)`);
  const parsed = pageRoutes.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not a list of page paths: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * Serves the built web app at `/`. Page routes (e.g. /reset-password) fall back to
 * index.html so the client-side router takes over.
 */
export async function registerWeb(app: FastifyInstance, dist: string): Promise<void> {
  const indexHtml = readFileSync(join(dist, 'index.html'), 'utf8');
  const routes = readPageRoutes(dist);
  const sendPage = (reply: FastifyReply) => reply.headers(PAGE_HEADERS).type('text/html').send(indexHtml);

  await app.register(fastifyStatic, {
    root: dist,
    prefix: '/',
    wildcard: false,
    index: false,
    setHeaders: staticHeaders,
  });
  // The app's own routes answer with the page whatever the client accepts: an emailed link
  // fetched by a mail scanner or a script lands on the same page a browser does.
  for (const path of routes) app.get(path, (_request, reply) => sendPage(reply));
  app.setNotFoundHandler((request, reply) => {
    const isPage =
      (request.method === 'GET' || request.method === 'HEAD') &&
      !request.url.startsWith('/api/') &&
      !request.url.startsWith('/trpc');
    // Other paths get the page only in a browser (its not-found view); APIs get JSON.
    if (isPage && request.headers.accept?.includes('text/html')) return sendPage(reply);
    return reply.code(404).send(refusalBody(404, 'not_found', request.locale));
  });
}

function staticHeaders(reply: FastifyReply, path: string): void {
  reply.header('Referrer-Policy', 'no-referrer');
  // Vite names everything under assets/ by content hash: a changed file gets a new name.
  const hashed = /[\\/]assets[\\/][^\\/]+-[A-Za-z0-9_-]{8,}\.\w+$/.test(path);
  reply.header('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'public, max-age=3600');
  if (path.endsWith('.html')) reply.headers(PAGE_HEADERS);
}
