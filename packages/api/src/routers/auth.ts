import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import {
  authResult,
  changePasswordInput,
  loginInput,
  loginResult,
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
import { verifyMfaInput } from '../schemas/mfa.js';
import { passkeyLoginInput, passkeyOptionsInput, passkeyRequestOptions } from '../schemas/passkeys.js';
import * as auth from '../services/auth.js';
import * as emailVerification from '../services/email-verification.js';
import * as passkeys from '../services/passkeys.js';
import * as passwords from '../services/passwords.js';
import * as secondFactors from '../services/second-factors.js';
import * as sessions from '../services/sessions.js';
import { restTwins } from './rest-twin.js';
import { protectedProcedure, publicProcedure } from '../trpc.js';
import { thenOk } from './then-ok.js';

const { anyone, signedIn } = restTwins(['auth']);

const COOKIE_NOTE =
  'A request sent with `X-Tessera-Session: cookie` by the web app served at `/` may leave ' +
  '`refreshToken` out: its HttpOnly cookie stands in for it (README, Security).';

export const authRouter = {
  register: publicProcedure
    .meta(anyone('POST', '/auth/register', 'Create an account and sign in'))
    .input(registerInput)
    .output(authResult)
    .mutation(({ ctx, input }) => auth.register(ctx.deps, ctx.request, input)),

  login: publicProcedure
    .meta(
      anyone(
        'POST',
        '/auth/login',
        'Sign in with email and password',
        'For an account with a second factor the answer is `{ mfaRequired: true, mfaToken, methods }` instead of tokens: answer it with POST /auth/mfa/verify within 5 minutes.',
      ),
    )
    .input(loginInput)
    .output(loginResult)
    .mutation(({ ctx, input }) => auth.login(ctx.deps, ctx.request, input)),

  verifyMfa: publicProcedure
    .meta(
      anyone(
        'POST',
        '/auth/mfa/verify',
        'Finish a sign-in with a second factor',
        'Send `mfaToken` with `code` (an authenticator app code or a recovery code) or `passkey` (an assertion to a challenge from POST /auth/passkey/options). A token takes at most 5 wrong codes; each answer also counts against the account like a password.',
      ),
    )
    .input(verifyMfaInput)
    .output(authResult)
    .mutation(({ ctx, input }) => secondFactors.verifyMfa(ctx.deps, ctx.request, input)),

  passkeyOptions: publicProcedure
    .meta(
      anyone(
        'POST',
        '/auth/passkey/options',
        'A challenge for a passkey sign-in (PublicKeyCredentialRequestOptionsJSON)',
        'Pass it to navigator.credentials.get() (or @simplewebauthn/browser startAuthentication); the answer goes to POST /auth/passkey/login, or to POST /auth/mfa/verify as a second factor, within 5 minutes. The same for every email.',
      ),
    )
    .input(passkeyOptionsInput)
    .output(passkeyRequestOptions)
    .mutation(({ ctx, input }) => passkeys.signInOptions(ctx.deps, input.email)),

  passkeyLogin: publicProcedure
    .meta(anyone('POST', '/auth/passkey/login', 'Sign in with a passkey alone (AuthenticationResponseJSON)'))
    .input(passkeyLoginInput)
    .output(authResult)
    .mutation(({ ctx, input }) => passkeys.passkeyLogin(ctx.deps, ctx.request, input.response)),

  refresh: publicProcedure
    .meta({
      ...anyone('POST', '/auth/refresh', 'Rotate a refresh token', COOKIE_NOTE),
      spendsRefreshToken: true,
    })
    .input(refreshInput)
    .output(authResult)
    .mutation(({ ctx, input }) => auth.refresh(ctx.deps, ctx.request, input.refreshToken)),

  logout: publicProcedure
    .meta({
      ...anyone('POST', '/auth/logout', 'End the session of a refresh token', COOKIE_NOTE),
      spendsRefreshToken: true,
    })
    .input(logoutInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => auth.logout(ctx.deps, ctx.request, input.refreshToken))),

  requestPasswordReset: publicProcedure
    .meta(
      anyone(
        'POST',
        '/auth/password/forgot',
        'Email a password-reset link',
        'Answers the same for every well-formed email, known or not.',
      ),
    )
    .input(requestPasswordResetInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => passwords.requestPasswordReset(ctx.deps, ctx.request, input.email))),

  resetPassword: publicProcedure
    .meta(
      anyone(
        'POST',
        '/auth/password/reset',
        'Set a new password from an emailed link',
        'Signs every device out; no automatic sign-in follows.',
      ),
    )
    .input(resetPasswordInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => passwords.resetPassword(ctx.deps, ctx.request, input))),

  changePassword: protectedProcedure
    .meta(
      signedIn(
        'POST',
        '/auth/password/change',
        'Change the password (current one required)',
        'Signs every other device out and returns a fresh session for this one.',
      ),
    )
    .input(changePasswordInput)
    .output(authResult)
    .mutation(({ ctx, input }) => passwords.changePassword(ctx.deps, ctx.actor, ctx.request, input)),

  requestEmailVerification: protectedProcedure
    .meta(signedIn('POST', '/auth/email/verify-request', 'Email a new verification link'))
    .input(z.object({}))
    .output(okOutput)
    .mutation(thenOk(({ ctx }) => emailVerification.requestEmailVerification(ctx.deps, ctx.actor))),

  verifyEmail: publicProcedure
    .meta(anyone('POST', '/auth/email/verify', 'Confirm an email address'))
    .input(verifyEmailInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => emailVerification.verifyEmail(ctx.deps, ctx.request, input.token))),

  sessions: protectedProcedure
    .meta(signedIn('GET', '/auth/sessions', 'List my signed-in devices'))
    .input(z.void())
    .output(z.array(sessionView))
    .query(({ ctx }) => sessions.listSessions(ctx.deps, ctx.actor)),

  revokeSession: protectedProcedure
    .meta(signedIn('DELETE', '/auth/sessions', 'Sign one of my devices out'))
    .input(revokeSessionInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => sessions.revokeSession(ctx.deps, ctx.actor, ctx.request, input.id))),
} satisfies TRPCRouterRecord;
