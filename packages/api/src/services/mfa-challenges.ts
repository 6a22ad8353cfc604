import type { RequestInfo } from '../context.js';
import type { Deps, MfaChallengeRecord, Stores, UserRecord } from '../ports/index.js';
import type { MfaChallenge, MfaMethod } from '../schemas/mfa.js';
import { hashToken, newOpaqueToken } from '../secrets.js';

/** How long the second step of a sign-in may wait, and how many wrong codes it takes (DESIGN.md). */
export const MFA_CHALLENGE_TTL_SECONDS = 300;
export const MFA_MAX_WRONG_CODES = 5;

/** The ways an account can answer a sign-in's second step right now. */
async function methodsOf(stores: Stores, userId: string): Promise<MfaMethod[]> {
  const [totp, codesLeft, passkeys] = await Promise.all([
    stores.secondFactors.findTotp(userId),
    stores.secondFactors.countRecoveryCodes(userId),
    stores.passkeys.listForUser(userId),
  ]);
  const methods: MfaMethod[] = [];
  if (totp?.confirmedAt) methods.push('totp');
  if (codesLeft > 0) methods.push('recovery_code');
  if (passkeys.length > 0) methods.push('passkey');
  return methods;
}

/**
 * The password was right and the account has a second factor: instead of tokens, a
 * single-use token for `auth.verifyMfa` (stored hashed, 5 minutes, 5 wrong codes).
 */
export async function startMfaChallenge(
  deps: Deps,
  request: RequestInfo,
  user: UserRecord,
): Promise<MfaChallenge> {
  const mfaToken = newOpaqueToken();
  const now = deps.clock.now();
  const methods = await methodsOf(deps.stores, user.id);
  await deps.transact(async (stores) => {
    await stores.secondFactors.createChallenge(
      {
        userId: user.id,
        tokenHash: hashToken(mfaToken),
        expiresAt: new Date(now.getTime() + MFA_CHALLENGE_TTL_SECONDS * 1000),
      },
      now,
    );
    await stores.audit.record({
      actorId: null,
      action: 'auth.mfa.challenge',
      targetId: user.id,
      ip: request.ip,
      userAgent: request.userAgent,
      metadata: { methods },
    });
  });
  return { mfaRequired: true, mfaToken, methods };
}

export function usableChallenge(
  challenge: MfaChallengeRecord | undefined,
  now: Date,
): challenge is MfaChallengeRecord {
  return (
    challenge !== undefined &&
    challenge.usedAt === null &&
    challenge.expiresAt > now &&
    challenge.failedAttempts < MFA_MAX_WRONG_CODES
  );
}
