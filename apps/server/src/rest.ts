import type { Deps } from '@tessera/api';
import type { FastifyInstance } from 'fastify';

/** REST twins of the procedures under /api, /openapi.json and /docs (issue 7 fills this in). */
export async function registerRest(_app: FastifyInstance, _deps: Deps): Promise<void> {}
