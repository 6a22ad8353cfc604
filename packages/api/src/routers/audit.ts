import type { TRPCRouterRecord } from '@trpc/server';
import { auditPage, listAuditInput } from '../schemas/audit.js';
import { listAudit } from '../services/audit.js';
import { protectedProcedure } from '../trpc.js';

const tags = ['audit'];

export const auditRouter = {
  list: protectedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/audit',
        tags,
        protect: true,
        summary: 'Audit events, newest first (admins only)',
      },
    })
    .input(listAuditInput)
    .output(auditPage)
    .query(({ ctx, input }) => listAudit(ctx.deps, ctx.actor, input)),
} satisfies TRPCRouterRecord;
