import { router } from '../trpc.js';
import { apiKeysRouter } from './api-keys.js';
import { auditRouter } from './audit.js';
import { authRouter } from './auth.js';
import { metaRouter } from './meta.js';
import { mfaRouter } from './mfa.js';
import { passkeysRouter } from './passkeys.js';
import { usersRouter } from './users.js';
import { webhooksRouter } from './webhooks.js';

/** The whole API: every procedure Tessera serves over tRPC and REST. */
export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  audit: auditRouter,
  meta: metaRouter,
  mfa: mfaRouter,
  passkeys: passkeysRouter,
  apiKeys: apiKeysRouter,
  webhooks: webhooksRouter,
});

export type AppRouter = typeof appRouter;
