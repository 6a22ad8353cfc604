import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * Serves the built web app at `/`. Page routes (e.g. /reset-password) fall back to
 * index.html so the client-side router takes over.
 */
export async function registerWeb(app: FastifyInstance, dist: string): Promise<void> {
  const indexHtml = readFileSync(join(dist, 'index.html'), 'utf8');
  await app.register(fastifyStatic, { root: dist, prefix: '/', wildcard: false, index: false });
  app.get('/', (_request, reply) => reply.type('text/html').send(indexHtml));
  app.setNotFoundHandler((request, reply) => {
    const isPage =
      request.method === 'GET' && !request.url.startsWith('/api/') && !request.url.startsWith('/trpc');
    if (isPage && request.headers.accept?.includes('text/html')) {
      return reply.type('text/html').send(indexHtml);
    }
    return reply.code(404).send({ code: 'NOT_FOUND', message: 'Not found' });
  });
}
