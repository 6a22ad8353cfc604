import type { Stores } from '../ports/index.js';

/**
 * After a factor is removed, under the user's row lock: recompute `mfa_enabled`, and when no
 * factor is left, the recovery codes (a backup for a factor) and any open sign-in challenge
 * go too. Returns whether a factor remains.
 */
export async function afterFactorRemoved(stores: Stores, userId: string): Promise<boolean> {
  const enabled = await stores.secondFactors.refreshMfaEnabled(userId);
  if (!enabled) {
    await stores.secondFactors.deleteRecoveryCodes(userId);
    await stores.secondFactors.deleteChallenges(userId);
  }
  return enabled;
}
