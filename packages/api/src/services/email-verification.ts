import type { Actor, RequestInfo } from '../context.js';
import { emailTaken, unusableLink } from '../errors.js';
import { EmailTakenError, oneTimePurposes, type Deps, type OneTimePurpose } from '../ports/index.js';
import { composeMail } from '../mail/templates.js';
import { hashToken } from '../secrets.js';
import { emit } from './events.js';
import { isRefusal, linkStillBelongs, queueEmailVerification } from './mail-flows.js';

/** Links that auth.verifyEmail follows: proving the current address, or moving to a new one. */
const VERIFIES_EMAIL: readonly OneTimePurpose[] = ['email_verification', 'email_change'];

/** Sends a new verification link to the signed-in user's address (nothing if already verified). */
export async function requestEmailVerification(deps: Deps, actor: Actor): Promise<void> {
  if (actor.user.emailVerifiedAt) return;
  await deps.transact(async (stores) => {
    // The user's row first, as every writer of a user's links does: an email change running
    // at the same time then waits for us instead of deadlocking with us.
    const me = await stores.users.findByIdForUpdate(actor.user.id);
    if (!me || me.disabledAt || me.emailVerifiedAt) return;
    await queueEmailVerification(deps, stores, me);
  });
}

/**
 * Follows an emailed address link: a verification link marks the current address verified;
 * an email-change link moves the account to the address it was sent to, verified, and ends
 * every other link of the account. A link whose address the account no longer has (or no
 * longer waits for) is refused like an unknown one.
 */
export async function verifyEmail(deps: Deps, request: RequestInfo, token: string): Promise<void> {
  const tokenHash = hashToken(token);
  const now = deps.clock.now();
  const owner = await deps.stores.oneTimeTokens.peek(tokenHash, VERIFIES_EMAIL, now);
  if (isRefusal(owner)) throw unusableLink(owner);
  try {
    await deps.transact(async (stores) => {
      const user = await stores.users.findByIdForUpdate(owner.userId);
      const spent = await stores.oneTimeTokens.consume(tokenHash, VERIFIES_EMAIL, now);
      if (isRefusal(spent)) throw unusableLink(spent);
      if (!user || user.disabledAt || !linkStillBelongs(user, spent)) throw unusableLink('unknown');
      const event = {
        actorId: user.id,
        targetId: user.id,
        ip: request.ip,
        userAgent: request.userAgent,
      };
      if (spent.purpose === 'email_verification') {
        await stores.users.markEmailVerified(user.id, user.email, now);
        const verified = await stores.users.findById(user.id);
        if (verified) await emit(deps, stores, 'user.email_verified', verified);
        await stores.audit.record({ ...event, action: 'auth.email_verified' });
        return;
      }
      // The unique index on email settles a race for the address (EmailTakenError below).
      const moved = await stores.users.update(user.id, {
        email: spent.email,
        pendingEmail: null,
        emailVerifiedAt: now,
      });
      if (moved) {
        await emit(deps, stores, 'user.updated', moved);
        await emit(deps, stores, 'user.email_verified', moved);
      }
      // The account answers to another address now: links sent to the old one die with it.
      await stores.oneTimeTokens.revokeForUser(user.id, oneTimePurposes);
      // The old address hears that the move went through, as it does for a staff change: the
      // request's notice may have come too late to act on (a confirmation within seconds).
      await stores.outbox.enqueue(
        composeMail('emailChanged', user.locale, { to: user.email, newEmail: spent.email }),
      );
      await stores.audit.record({
        ...event,
        action: 'users.email_change.confirm',
        metadata: { from: user.email, to: spent.email },
      });
    });
  } catch (error) {
    if (error instanceof EmailTakenError) throw emailTaken();
    throw error;
  }
}
