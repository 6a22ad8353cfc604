import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { okOutput } from '../schemas/common.js';
import {
  createdWebhook,
  createWebhookInput,
  deliveryPage,
  listDeliveriesInput,
  redeliverInput,
  updateWebhookInput,
  webhook,
  webhookIdInput,
} from '../schemas/webhooks.js';
import * as webhooks from '../services/webhooks.js';
import { callerProcedure } from '../trpc.js';
import { restTwins } from './rest-twin.js';
import { thenOk } from './then-ok.js';

const { signedIn } = restTwins(['webhooks']);

const CREATE_DETAILS =
  'Each event is POSTed as `{ type, timestamp, data }` (`data.user` a User), signed per Standard Webhooks ' +
  '(`webhook-id`, `webhook-timestamp`, `webhook-signature`) with the `whsec_…` secret in this answer only. ' +
  'A 2xx within 10 s counts as delivered; redirects are not followed; failures are retried with backoff. ' +
  'URLs whose host resolves to a loopback, private or link-local address are refused.';

// Order matters for REST: /webhooks/deliveries/… comes before /webhooks/{id}.
export const webhooksRouter = {
  create: callerProcedure
    .meta(signedIn('POST', '/webhooks', 'Subscribe a URL to events (admins only)', CREATE_DETAILS))
    .input(createWebhookInput)
    .output(createdWebhook)
    .mutation(({ ctx, input }) => webhooks.createWebhook(ctx.deps, ctx.request, ctx.actor, input)),

  list: callerProcedure
    .meta(signedIn('GET', '/webhooks', 'Every webhook endpoint (admins only)'))
    .input(z.void())
    .output(z.array(webhook))
    .query(({ ctx }) => webhooks.listWebhooks(ctx.deps, ctx.actor)),

  redeliver: callerProcedure
    .meta(
      signedIn(
        'POST',
        '/webhooks/deliveries/{deliveryId}/redeliver',
        'Send a delivery again (same webhook-id), with a fresh count of attempts',
      ),
    )
    .input(redeliverInput)
    .output(okOutput)
    .mutation(
      thenOk(({ ctx, input }) => webhooks.redeliver(ctx.deps, ctx.request, ctx.actor, input.deliveryId)),
    ),

  deliveries: callerProcedure
    .meta(signedIn('GET', '/webhooks/{id}/deliveries', 'An endpoint’s delivery log, newest first'))
    .input(listDeliveriesInput)
    .output(deliveryPage)
    .query(({ ctx, input }) => webhooks.listDeliveries(ctx.deps, ctx.actor, input)),

  update: callerProcedure
    .meta(signedIn('PATCH', '/webhooks/{id}', 'Change an endpoint’s URL or events, or turn it off and on'))
    .input(updateWebhookInput)
    .output(webhook)
    .mutation(({ ctx, input }) => webhooks.updateWebhook(ctx.deps, ctx.request, ctx.actor, input)),

  delete: callerProcedure
    .meta(signedIn('DELETE', '/webhooks/{id}', 'Delete an endpoint and its delivery log'))
    .input(webhookIdInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => webhooks.deleteWebhook(ctx.deps, ctx.request, ctx.actor, input.id))),
} satisfies TRPCRouterRecord;
