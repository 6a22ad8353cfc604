import { fieldErrors } from '@tessera/client';
import { useTranslation } from 'react-i18next';
import { useEffect, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useTRPC, useTRPCClient, useUser } from '@tessera/react';
import { errorMessage } from '../errors.js';
import { useLinkFragment } from '../fragment.js';
import { Link } from '../router.js';
import { AuthCard, Loading, Notice } from '../ui.js';

type Outcome = { status: 'verifying' } | { status: 'verified' } | { status: 'failed'; message: string };

export function VerifyEmailPage() {
  const { t } = useTranslation();
  const fragment = useLinkFragment();
  const user = useUser();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const token = fragment.get('token') ?? '';
  const [outcome, setOutcome] = useState<Outcome>(
    token ? { status: 'verifying' } : { status: 'failed', message: t('verify.incomplete') },
  );
  // The token is single use: never send it twice, even when React runs effects twice.
  const sent = useRef(false);

  useEffect(() => {
    if (!token || sent.current) return;
    sent.current = true;
    // A one-off call, not a mutation hook: the effect guards against sending the token twice.
    client.auth.verifyEmail.mutate({ token }).then(
      () => {
        setOutcome({ status: 'verified' });
        void queryClient.invalidateQueries(trpc.users.me.queryFilter());
      },
      (error: unknown) =>
        setOutcome({ status: 'failed', message: fieldErrors(error)?.token?.[0] ?? errorMessage(error) }),
    );
  }, [token, client, queryClient, trpc]);

  if (outcome.status === 'verifying')
    return (
      <AuthCard title={t('verify.verifying')}>
        <Loading label={t('verify.checking')} />
      </AuthCard>
    );

  if (outcome.status === 'verified')
    return (
      <AuthCard title={t('verify.verified')}>
        <Notice tone="success">
          <p>{t('verify.thanks')}</p>
        </Notice>
        <Onward signedIn={Boolean(user)} />
      </AuthCard>
    );

  return (
    <AuthCard title={t('link.unusable')}>
      <div className="alert alert-error" role="alert">
        <p>{outcome.message}</p>
      </div>
      <p className="muted">{user ? t('verify.resendSignedIn') : t('verify.resendSignedOut')}</p>
      <Onward signedIn={Boolean(user)} next="/profile" />
    </AuthCard>
  );
}

/** Where to go from here: the profile, or signing in first (and then `next`). */
function Onward({ signedIn, next }: { signedIn: boolean; next?: string }) {
  const { t } = useTranslation();
  return (
    <div className="auth-links">
      <Link
        href={signedIn ? '/profile' : `/sign-in${next ? `?next=${next}` : ''}`}
        className="button button-primary"
      >
        {signedIn ? t('common.goToProfile') : t('common.signIn')}
      </Link>
    </div>
  );
}
