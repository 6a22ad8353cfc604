import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { apiKey, apiKeyIdInput, createApiKeyInput, createdApiKey } from '../schemas/api-keys.js';
import { okOutput } from '../schemas/common.js';
import * as apiKeys from '../services/api-keys.js';
import { callerProcedure } from '../trpc.js';
import { restTwins } from './rest-twin.js';
import { thenOk } from './then-ok.js';

const { signedIn } = restTwins(['api-keys']);

export const apiKeysRouter = {
  create: callerProcedure
    .meta(
      signedIn(
        'POST',
        '/api-keys',
        'Create an API key for another service (admins only)',
        'The secret (`tsk_…`) is in this answer only: it is stored hashed and never shown again. ' +
          'The service sends it as `Authorization: Bearer tsk_…` and acts with the key’s role.',
      ),
    )
    .input(createApiKeyInput)
    .output(createdApiKey)
    .mutation(({ ctx, input }) => apiKeys.createApiKey(ctx.deps, ctx.request, ctx.actor, input)),

  list: callerProcedure
    .meta(signedIn('GET', '/api-keys', 'Every API key, newest first, by prefix (admins only)'))
    .input(z.void())
    .output(z.array(apiKey))
    .query(({ ctx }) => apiKeys.listApiKeys(ctx.deps, ctx.actor)),

  revoke: callerProcedure
    .meta(
      signedIn(
        'DELETE',
        '/api-keys/{id}',
        'Revoke an API key: refused from the next request on, on every node',
      ),
    )
    .input(apiKeyIdInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => apiKeys.revokeApiKey(ctx.deps, ctx.request, ctx.actor, input.id))),
} satisfies TRPCRouterRecord;
