import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { okOutput } from '../schemas/common.js';
import {
  createUserInput,
  deleteMeInput,
  listUsersInput,
  updateMeInput,
  updateUserInput,
  user,
  userIdInput,
  userPage,
} from '../schemas/users.js';
import * as users from '../services/users.js';
import { toUser } from '../services/user-view.js';
import { protectedProcedure } from '../trpc.js';
import { thenOk } from './then-ok.js';

const tags = ['users'];

// Order matters for REST: the first matching route wins, so /users/me comes before /users/{id}.
export const usersRouter = {
  me: protectedProcedure
    .meta({
      openapi: { method: 'GET', path: '/users/me', tags, protect: true, summary: 'The signed-in user' },
    })
    .input(z.void())
    .output(user)
    .query(({ ctx }) => toUser(ctx.actor.user)),

  updateMe: protectedProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/users/me',
        tags,
        protect: true,
        summary: 'Change your own name or email',
        description:
          'A new email needs `currentPassword` and is held as `pendingEmail` until the link mailed to it is followed ' +
          '(POST /auth/email/verify); the current address keeps working meanwhile and is told of the request. ' +
          'Sending the current address again cancels a pending change. At most 5 email changes a day.',
      },
    })
    .input(updateMeInput)
    .output(user)
    .mutation(({ ctx, input }) => users.updateMe(ctx.deps, ctx.request, ctx.actor, input)),

  deleteMe: protectedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/users/me/delete',
        tags,
        protect: true,
        summary: 'Delete your own account, confirming with your password',
      },
    })
    .input(deleteMeInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => users.deleteMe(ctx.deps, ctx.request, ctx.actor, input))),

  list: protectedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/users',
        tags,
        protect: true,
        summary: 'List and search users, a page at a time (managers and admins)',
      },
    })
    .input(listUsersInput)
    .output(userPage)
    .query(({ ctx, input }) => users.listUsers(ctx.deps, ctx.actor, input)),

  get: protectedProcedure
    .meta({
      openapi: { method: 'GET', path: '/users/{id}', tags, protect: true, summary: 'One user by id' },
    })
    .input(userIdInput)
    .output(user)
    .query(({ ctx, input }) => users.getUser(ctx.deps, ctx.actor, input.id)),

  create: protectedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/users',
        tags,
        protect: true,
        summary: 'Create a user; without a password, an invite email lets them set one',
      },
    })
    .input(createUserInput)
    .output(user)
    .mutation(({ ctx, input }) => users.createUser(ctx.deps, ctx.request, ctx.actor, input)),

  update: protectedProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/users/{id}',
        tags,
        protect: true,
        summary: 'Change a user: name, email, role, disabled',
        description:
          'An email change applies at once, unverified: the old address gets a notice, the new one a ' +
          'verification link (an invite if no password was set), and every outstanding link of the account ' +
          'stops working. A demotion or a disable ends every session. Your own email goes through PATCH /users/me.',
      },
    })
    .input(updateUserInput)
    .output(user)
    .mutation(({ ctx, input }) => users.updateUser(ctx.deps, ctx.request, ctx.actor, input)),

  delete: protectedProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/users/{id}', tags, protect: true, summary: 'Delete a user' },
    })
    .input(userIdInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => users.deleteUser(ctx.deps, ctx.request, ctx.actor, input.id))),
} satisfies TRPCRouterRecord;
