import type { TRPCRouterRecord } from '@trpc/server';
import { authResult, loginInput, logoutInput, refreshInput, registerInput } from '../schemas/auth.js';
import { okOutput } from '../schemas/common.js';
import * as auth from '../services/auth.js';
import { publicProcedure } from '../trpc.js';

const tags = ['auth'];

export const authRouter = {
  register: publicProcedure
    .meta({
      openapi: { method: 'POST', path: '/auth/register', tags, summary: 'Create an account and sign in' },
    })
    .input(registerInput)
    .output(authResult)
    .mutation(({ ctx, input }) => auth.register(ctx.deps, ctx.request, input)),

  login: publicProcedure
    .meta({
      openapi: { method: 'POST', path: '/auth/login', tags, summary: 'Sign in with email and password' },
    })
    .input(loginInput)
    .output(authResult)
    .mutation(({ ctx, input }) => auth.login(ctx.deps, ctx.request, input)),

  refresh: publicProcedure
    .meta({
      openapi: { method: 'POST', path: '/auth/refresh', tags, summary: 'Rotate a refresh token' },
    })
    .input(refreshInput)
    .output(authResult)
    .mutation(({ ctx, input }) => auth.refresh(ctx.deps, input.refreshToken)),

  logout: publicProcedure
    .meta({
      openapi: { method: 'POST', path: '/auth/logout', tags, summary: 'End the session of a refresh token' },
    })
    .input(logoutInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await auth.logout(ctx.deps, ctx.request, input.refreshToken);
      return { ok: true as const };
    }),
} satisfies TRPCRouterRecord;
