import { errorReason, mfaEnrollmentRequired, type User } from '@tessera/client';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { useSettings, useTRPC, useUser } from '@tessera/react';
import { useEffect } from 'react';
import type { PrivatePath } from '../paths.js';
import { Link, navigate } from '../router.js';

/** Where a person whose role requires a second factor sets one up before anything else. */
export const SET_UP_SECOND_FACTOR: PrivatePath = '/set-up-second-factor';

/** The server's refusal of every other procedure until then (DESIGN.md, Required second factor). */
const REFUSED = 'mfa_enrollment_required';

/**
 * True when the server would refuse this person the ordinary pages until they set up a
 * factor: the server's own rule (MFA_REQUIRED_ROLES from the settings), asked about a
 * procedure every page calls beyond `users.me`.
 */
export function useSecondFactorOwed(): boolean {
  const user = useUser();
  const requiredRoles = useSettings().data?.mfaRequiredRoles;
  return owes(user, requiredRoles);
}

function owes(user: User | null, requiredRoles: readonly User['role'][] | undefined): boolean {
  if (!user || !requiredRoles) return false;
  return mfaEnrollmentRequired(user, requiredRoles, 'auth.sessions');
}

/**
 * Sends the person to the set-up page whenever a call is refused for want of a second
 * factor: the settings may not be loaded yet, or the role changed since `users.me` was read
 * (which is then read again, so the banner shows).
 */
export function useSendRefusedToSetUp(): void {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  useEffect(() => {
    const onError = (error: unknown) => {
      if (errorReason(error) !== REFUSED) return;
      void queryClient.invalidateQueries(trpc.users.me.queryFilter());
      if (window.location.pathname !== SET_UP_SECOND_FACTOR)
        navigate(SET_UP_SECOND_FACTOR, { replace: true });
    };
    const stopQueries = queryClient.getQueryCache().subscribe((event) => {
      if (event.type === 'updated' && event.action.type === 'error') onError(event.action.error);
    });
    const stopMutations = queryClient.getMutationCache().subscribe((event) => {
      if (event.type === 'updated' && event.action.type === 'error') onError(event.action.error);
    });
    return () => {
      stopQueries();
      stopMutations();
    };
  }, [queryClient, trpc]);
}

/** Above every page while the person owes a second factor. */
export function SecondFactorBanner({ path }: { path: string }) {
  const { t } = useTranslation();
  const user = useUser();
  if (!useSecondFactorOwed() || !user) return null;
  return (
    <div className="banner banner-warning" role="status">
      <p>{t('setUp.banner', { role: t(`roles.${user.role}`) })}</p>
      {path !== SET_UP_SECOND_FACTOR && (
        <Link className="button button-primary button-small" href={SET_UP_SECOND_FACTOR}>
          {t('setUp.now')}
        </Link>
      )}
    </div>
  );
}
