import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { publicSettings } from '../schemas/meta.js';
import * as meta from '../services/meta.js';
import { publicProcedure } from '../trpc.js';
import { restTwins } from './rest-twin.js';

const { anyone } = restTwins(['meta']);

export const metaRouter = {
  settings: publicProcedure
    .meta(anyone('GET', '/settings', 'The settings a front end shows (password rule, sign-up, languages)'))
    .input(z.void())
    .output(publicSettings)
    .query(({ ctx }) => meta.publicSettings(ctx.deps)),
} satisfies TRPCRouterRecord;
