import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { user } from '../schemas/users.js';
import { toUser } from '../services/user-view.js';
import { protectedProcedure } from '../trpc.js';

const tags = ['users'];

export const usersRouter = {
  me: protectedProcedure
    .meta({
      openapi: { method: 'GET', path: '/users/me', tags, protect: true, summary: 'The signed-in user' },
    })
    .input(z.void())
    .output(user)
    .query(({ ctx }) => toUser(ctx.actor.user)),
} satisfies TRPCRouterRecord;
