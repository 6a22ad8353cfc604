import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { apiKey, apiKeyIdInput, createApiKeyInput, createdApiKey } from '../schemas/api-keys.js';
import { okOutput } from '../schemas/common.js';
import * as apiKeys from '../services/api-keys.js';
import { protectedProcedure } from '../trpc.js';
import { restTwins } from './rest-twin.js';
import { thenOk } from './then-ok.js';

const { signedIn } = restTwins(['api-keys']);

/**
 * People manage keys, keys do not: a key that could mint keys would outlive its own expiry or
 * revocation through a child it made, so a leaked key could not be contained. A key calling
 * these is refused (403 `api_key_not_allowed`) like on every person-only procedure.
 */
export const apiKeysRouter = {
  create: protectedProcedure
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

  list: protectedProcedure
    .meta(signedIn('GET', '/api-keys', 'Every API key, newest first, by prefix (admins only)'))
    .input(z.void())
    .output(z.array(apiKey))
    .query(({ ctx }) => apiKeys.listApiKeys(ctx.deps, ctx.actor)),

  revoke: protectedProcedure
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
