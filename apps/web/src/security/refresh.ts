import { useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@tessera/react';

/**
 * After any change to the second factors: the status, the passkey list and the signed-in
 * user (`mfaEnabled`, which lifts a required set-up) are stale.
 */
export function useSecondFactorsChanged(): () => Promise<void> {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return async () => {
    await Promise.all([
      queryClient.invalidateQueries(trpc.mfa.pathFilter()),
      queryClient.invalidateQueries(trpc.passkeys.pathFilter()),
      queryClient.invalidateQueries(trpc.users.me.queryFilter()),
    ]);
  };
}
