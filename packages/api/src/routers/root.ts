import { router } from '../trpc.js';
import { apiKeysRouter } from './api-keys.js';
import { auditRouter } from './audit.js';
import { authRouter } from './auth.js';
import { usersRouter } from './users.js';
import { webhooksRouter } from './webhooks.js';

/** The whole API: every procedure Tessera serves over tRPC and REST. */
export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  audit: auditRouter,
  apiKeys: apiKeysRouter,
  webhooks: webhooksRouter,
});

export type AppRouter = typeof appRouter;
