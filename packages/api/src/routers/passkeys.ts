import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { okOutput } from '../schemas/common.js';
import {
  passkey,
  passkeyCreationOptions,
  passkeyIdInput,
  registerPasskeyInput,
  renamePasskeyInput,
} from '../schemas/passkeys.js';
import * as passkeys from '../services/passkeys.js';
import { protectedProcedure } from '../trpc.js';
import { restTwins } from './rest-twin.js';
import { thenOk } from './then-ok.js';

const { signedIn } = restTwins(['passkeys']);

export const passkeysRouter = {
  registrationOptions: protectedProcedure
    .meta(
      signedIn(
        'POST',
        '/passkeys/options',
        'Options to register a passkey (PublicKeyCredentialCreationOptionsJSON)',
        'Pass them to navigator.credentials.create() (or @simplewebauthn/browser startRegistration), then the answer to POST /passkeys within 5 minutes.',
      ),
    )
    .input(z.object({}).prefault({}))
    .output(passkeyCreationOptions)
    .mutation(({ ctx }) => passkeys.registrationOptions(ctx.deps, ctx.actor)),

  register: protectedProcedure
    .meta(
      signedIn(
        'POST',
        '/passkeys',
        'Register a passkey from the browser’s answer (RegistrationResponseJSON)',
      ),
    )
    .input(registerPasskeyInput)
    .output(passkey)
    .mutation(({ ctx, input }) => passkeys.registerPasskey(ctx.deps, ctx.request, ctx.actor, input)),

  list: protectedProcedure
    .meta(signedIn('GET', '/passkeys', 'My passkeys'))
    .input(z.void())
    .output(z.array(passkey))
    .query(({ ctx }) => passkeys.listPasskeys(ctx.deps, ctx.actor)),

  rename: protectedProcedure
    .meta(signedIn('PATCH', '/passkeys/{id}', 'Rename one of my passkeys'))
    .input(renamePasskeyInput)
    .output(passkey)
    .mutation(({ ctx, input }) => passkeys.renamePasskey(ctx.deps, ctx.request, ctx.actor, input)),

  delete: protectedProcedure
    .meta(signedIn('DELETE', '/passkeys/{id}', 'Delete one of my passkeys'))
    .input(passkeyIdInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => passkeys.deletePasskey(ctx.deps, ctx.request, ctx.actor, input.id))),
} satisfies TRPCRouterRecord;
