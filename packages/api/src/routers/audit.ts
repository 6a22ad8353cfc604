import type { TRPCRouterRecord } from '@trpc/server';
import { auditPage, listAuditInput } from '../schemas/audit.js';
import { listAudit } from '../services/audit.js';
import { restTwins } from './rest-twin.js';
import { callerProcedure } from '../trpc.js';

const { signedIn } = restTwins(['audit']);

export const auditRouter = {
  list: callerProcedure
    .meta(signedIn('GET', '/audit', 'Audit events, newest first (admins only)'))
    .input(listAuditInput)
    .output(auditPage)
    .query(({ ctx, input }) => listAudit(ctx.deps, ctx.actor, input)),
} satisfies TRPCRouterRecord;
