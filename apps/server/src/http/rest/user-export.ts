import { Readable } from 'node:stream';
import {
  authenticateFor,
  EXPORT_CONTENT_TYPES,
  exportFormats,
  exportUsers,
  type Deps,
  type ExportFormat,
} from '@tessera/api';
import { TRPCError } from '@trpc/server';
import type { FastifyInstance } from 'fastify';
import { requestInfo } from '../request-info.js';
import { procedureErrorAnswer, refusalBody } from './errors.js';

/** Where the export lives, under the REST prefix. */
export const USER_EXPORT_PATH = '/users/export';

/**
 * `GET /api/users/export?format=csv|jsonl` (REST only: a file is not a tRPC answer). Admins
 * only. The body streams one page of accounts at a time (startExport), so memory stays flat
 * whatever the number of users; a client reading slowly holds the next page back. Registered
 * in the REST scope, so its errors have the REST shape.
 */
export function registerUserExport(scope: FastifyInstance, deps: Deps): void {
  scope.get(USER_EXPORT_PATH, async (request, reply) => {
    const query = request.query as { format?: unknown };
    const format = (query.format ?? 'csv') as ExportFormat;
    if (!exportFormats.includes(format))
      return reply.code(400).send({
        code: 'BAD_REQUEST',
        message: `format: must be one of ${exportFormats.join(', ')}`,
        fieldErrors: { format: [`Must be one of ${exportFormats.join(', ')}`] },
        data: { reason: 'invalid_input' },
      });
    const info = requestInfo(request, reply);
    let chunks: AsyncIterable<string>;
    try {
      const actor = await authenticateFor({ deps, request: info }, 'users.export');
      if (!actor) return reply.code(401).send(refusalBody(401, 'not_signed_in', request.locale));
      chunks = await exportUsers(deps, info, actor, format);
    } catch (error) {
      if (deps.isUnavailable(error))
        return reply.code(503).send(refusalBody(503, 'service_unavailable', request.locale));
      if (!(error instanceof TRPCError)) throw error;
      const { status, body } = procedureErrorAnswer(error, request.locale);
      return reply.code(status).send(body);
    }
    const day = new Date().toISOString().slice(0, 10);
    const body = Readable.from(chunks, { objectMode: false });
    body.on('error', (err) => request.log.error({ err }, 'user export failed after it started'));
    return reply
      .type(EXPORT_CONTENT_TYPES[format])
      .header('Content-Disposition', `attachment; filename="tessera-users-${day}.${format}"`)
      .send(body);
  });
}
