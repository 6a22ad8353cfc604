import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { okOutput } from '../schemas/common.js';
import {
  currentPasswordInput,
  mfaStatus,
  recoveryCodes,
  totpConfirmInput,
  totpSetup,
} from '../schemas/mfa.js';
import * as secondFactors from '../services/second-factors.js';
import { protectedProcedure } from '../trpc.js';
import { restTwins } from './rest-twin.js';
import { thenOk } from './then-ok.js';

const { signedIn } = restTwins(['mfa']);

export const mfaRouter = {
  status: protectedProcedure
    .meta(signedIn('GET', '/mfa', 'My second factors: authenticator app, recovery codes left, passkeys'))
    .input(z.void())
    .output(mfaStatus)
    .query(({ ctx }) => secondFactors.mfaStatus(ctx.deps, ctx.actor)),

  totpSetup: protectedProcedure
    .meta(
      signedIn(
        'POST',
        '/mfa/totp/setup',
        'Start setting up an authenticator app (current password required)',
        'Returns the secret and an otpauth:// URL for a QR code. Nothing changes at sign-in until POST /mfa/totp/confirm receives a code from the app.',
      ),
    )
    .input(currentPasswordInput)
    .output(totpSetup)
    .mutation(({ ctx, input }) =>
      secondFactors.totpSetup(ctx.deps, ctx.request, ctx.actor, input.currentPassword),
    ),

  totpConfirm: protectedProcedure
    .meta(
      signedIn(
        'POST',
        '/mfa/totp/confirm',
        'Turn the authenticator app on with a code from it',
        'Returns 10 single-use recovery codes, shown once; they replace any earlier set.',
      ),
    )
    .input(totpConfirmInput)
    .output(recoveryCodes)
    .mutation(({ ctx, input }) => secondFactors.totpConfirm(ctx.deps, ctx.request, ctx.actor, input.code)),

  totpDisable: protectedProcedure
    .meta(signedIn('POST', '/mfa/totp/disable', 'Turn the authenticator app off (current password required)'))
    .input(currentPasswordInput)
    .output(okOutput)
    .mutation(
      thenOk(({ ctx, input }) =>
        secondFactors.totpDisable(ctx.deps, ctx.request, ctx.actor, input.currentPassword),
      ),
    ),

  regenerateRecoveryCodes: protectedProcedure
    .meta(
      signedIn(
        'POST',
        '/mfa/recovery-codes',
        'Make a new set of 10 recovery codes (current password required); the old ones stop working',
      ),
    )
    .input(currentPasswordInput)
    .output(recoveryCodes)
    .mutation(({ ctx, input }) =>
      secondFactors.regenerateRecoveryCodes(ctx.deps, ctx.request, ctx.actor, input.currentPassword),
    ),
} satisfies TRPCRouterRecord;
