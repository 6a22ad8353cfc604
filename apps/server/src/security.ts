import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';

export interface SecurityResources {
  /** Shared counter store when REDIS_URL is set. */
  redis: Redis | undefined;
}

/** Response headers every answer carries. */
export async function registerSecurity(
  app: FastifyInstance,
  _config: Config,
  _resources: SecurityResources,
): Promise<void> {
  app.addHook('onSend', async (request, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    // API answers are per-caller and often carry tokens: never cache them.
    if (isApiPath(request.url)) reply.header('Cache-Control', 'no-store');
  });
}

function isApiPath(url: string): boolean {
  return url.startsWith('/trpc') || url.startsWith('/api/');
}
