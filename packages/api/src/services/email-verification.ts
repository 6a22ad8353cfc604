import type { Actor, RequestInfo } from '../context.js';
import { unusableLink } from '../errors.js';
import type { Deps } from '../ports/index.js';
import { hashToken } from '../secrets.js';
import { queueEmailVerification } from './mail-flows.js';

/** Sends a new verification link to the signed-in user's address (nothing if already verified). */
export async function requestEmailVerification(deps: Deps, actor: Actor): Promise<void> {
  if (actor.user.emailVerifiedAt) return;
  await deps.transact((stores) => queueEmailVerification(deps, stores, actor.user));
}

/** Marks the address verified. A link sent to an address the user has since changed is unknown. */
export async function verifyEmail(deps: Deps, request: RequestInfo, token: string): Promise<void> {
  const now = deps.clock.now();
  await deps.transact(async (stores) => {
    const spent = await stores.oneTimeTokens.consume(hashToken(token), ['email_verification'], now);
    if (typeof spent === 'string') throw unusableLink(spent);
    const user = await stores.users.findById(spent.userId);
    if (!user || !(await stores.users.markEmailVerified(user.id, user.email, now)))
      throw unusableLink('unknown');
    await stores.audit.record({
      actorId: user.id,
      action: 'auth.email_verified',
      targetId: user.id,
      ip: request.ip,
      userAgent: request.userAgent,
    });
  });
}
