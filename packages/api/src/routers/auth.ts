import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import {
  authResult,
  changePasswordInput,
  loginInput,
  logoutInput,
  refreshInput,
  registerInput,
  requestPasswordResetInput,
  resetPasswordInput,
  revokeSessionInput,
  sessionView,
  verifyEmailInput,
} from '../schemas/auth.js';
import { okOutput } from '../schemas/common.js';
import * as auth from '../services/auth.js';
import * as emailVerification from '../services/email-verification.js';
import * as passwords from '../services/passwords.js';
import * as sessions from '../services/sessions.js';
import { protectedProcedure, publicProcedure } from '../trpc.js';
import { thenOk } from './then-ok.js';

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
    .meta({ openapi: { method: 'POST', path: '/auth/refresh', tags, summary: 'Rotate a refresh token' } })
    .input(refreshInput)
    .output(authResult)
    .mutation(({ ctx, input }) => auth.refresh(ctx.deps, ctx.request, input.refreshToken)),

  logout: publicProcedure
    .meta({
      openapi: { method: 'POST', path: '/auth/logout', tags, summary: 'End the session of a refresh token' },
    })
    .input(logoutInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => auth.logout(ctx.deps, ctx.request, input.refreshToken))),

  requestPasswordReset: publicProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/password/forgot',
        tags,
        summary: 'Email a password-reset link',
        description: 'Answers the same for every well-formed email, known or not.',
      },
    })
    .input(requestPasswordResetInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => passwords.requestPasswordReset(ctx.deps, ctx.request, input.email))),

  resetPassword: publicProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/password/reset',
        tags,
        summary: 'Set a new password from an emailed link',
        description: 'Signs every device out; no automatic sign-in follows.',
      },
    })
    .input(resetPasswordInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => passwords.resetPassword(ctx.deps, ctx.request, input))),

  changePassword: protectedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/password/change',
        tags,
        protect: true,
        summary: 'Change the password (current one required)',
        description: 'Signs every other device out and returns a fresh session for this one.',
      },
    })
    .input(changePasswordInput)
    .output(authResult)
    .mutation(({ ctx, input }) => passwords.changePassword(ctx.deps, ctx.actor, ctx.request, input)),

  requestEmailVerification: protectedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/email/verify-request',
        tags,
        protect: true,
        summary: 'Email a new verification link',
      },
    })
    .input(z.object({}))
    .output(okOutput)
    .mutation(thenOk(({ ctx }) => emailVerification.requestEmailVerification(ctx.deps, ctx.actor))),

  verifyEmail: publicProcedure
    .meta({
      openapi: { method: 'POST', path: '/auth/email/verify', tags, summary: 'Confirm an email address' },
    })
    .input(verifyEmailInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => emailVerification.verifyEmail(ctx.deps, ctx.request, input.token))),

  sessions: protectedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/auth/sessions',
        tags,
        protect: true,
        summary: 'List my signed-in devices',
      },
    })
    .input(z.void())
    .output(z.array(sessionView))
    .query(({ ctx }) => sessions.listSessions(ctx.deps, ctx.actor)),

  revokeSession: protectedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/auth/sessions',
        tags,
        protect: true,
        summary: 'Sign one of my devices out',
      },
    })
    .input(revokeSessionInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => sessions.revokeSession(ctx.deps, ctx.actor, ctx.request, input.id))),
} satisfies TRPCRouterRecord;
