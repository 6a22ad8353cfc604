import { errorCode, type MfaChallenge } from '@tessera/client';
import { useTranslation } from 'react-i18next';
import { useMutation } from '@tanstack/react-query';
import { useSession, useSettings, useTRPC } from '@tessera/react';
import { useState } from 'react';
import { CurrentPasswordField, EmailField, FormAlert, FormProblem, text, useForm } from '../forms.js';
import { safeNext } from '../paths.js';
import { Link, navigate, useLocation } from '../router.js';
import { getPasskeyAssertion, passkeyErrorMessage, passkeysSupported } from '../security/webauthn.js';
import { AuthCard, Notice, Submit } from '../ui.js';
import { SecondStep } from './sign-in-second-step.js';

export function SignInPage() {
  const { t } = useTranslation();
  const { state: auth, signIn } = useSession();
  const registrationOpen = useSettings().data?.registrationOpen;
  const { query, state } = useLocation();
  const form = useForm(['email', 'password']);
  // The account has a second factor: the password was right, the second step is next.
  const [challenge, setChallenge] = useState<{ email: string; challenge: MfaChallenge }>();
  // The second step ran out (expired, spent, too many wrong codes): the password again.
  const [restart, setRestart] = useState<{ email: string; notice?: string }>();
  const notice =
    restart?.notice ??
    state.notice ??
    (auth.status === 'signed-out' && auth.reason === 'expired' ? t('signIn.sessionEnded') : undefined);
  const done = () => navigate(safeNext(query.get('next')) ?? '/profile', { replace: true });

  const onSubmit = form.submit(async (data) => {
    const email = text(data, 'email');
    setRestart(undefined);
    try {
      const result = await signIn({ email, password: text(data, 'password') });
      if (result.status === 'challenge') return setChallenge({ email, challenge: result.challenge });
    } catch (error) {
      // One message for every bad credential: the server never says which part was wrong.
      if (errorCode(error) === 'UNAUTHORIZED')
        throw new FormProblem({ fields: {}, form: t('signIn.invalidCredentials') });
      throw error;
    }
    done();
  });

  if (challenge) {
    const { email } = challenge;
    return (
      <SecondStep
        email={email}
        challenge={challenge.challenge}
        onSignedIn={done}
        onRestart={(message) => {
          setChallenge(undefined);
          setRestart({ email, ...(message ? { notice: message } : {}) });
        }}
      />
    );
  }

  return (
    <AuthCard title={t('signIn.title')} intro={t('signIn.intro')}>
      {notice && <Notice>{notice}</Notice>}
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <EmailField
          autoComplete="username"
          defaultValue={restart?.email ?? state.email}
          error={form.errors.fields.email}
        />
        <CurrentPasswordField
          label={t('common.password')}
          name="password"
          error={form.errors.fields.password}
        />
        <Submit pending={form.pending} pendingLabel={t('signIn.pending')}>
          {t('common.signIn')}
        </Submit>
      </form>
      <PasskeySignIn onSignedIn={done} />
      <div className="auth-links">
        <Link href="/forgot-password">{t('signIn.forgot')}</Link>
        {registrationOpen && (
          <span>
            {t('signIn.newHere')} <Link href="/sign-up">{t('signIn.createAccount')}</Link>
          </span>
        )}
      </div>
    </AuthCard>
  );
}

/** Signs in with a passkey alone: discoverable, so no email is needed. */
function PasskeySignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const { t } = useTranslation();
  const offered = useSettings().data?.passkeys;
  const trpc = useTRPC();
  const { accept } = useSession();
  const options = useMutation(trpc.auth.passkeyOptions.mutationOptions());
  const login = useMutation(trpc.auth.passkeyLogin.mutationOptions());
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string>();
  if (!offered || !passkeysSupported()) return null;

  const signInWithPasskey = async () => {
    setPending(true);
    setError(undefined);
    try {
      const response = await getPasskeyAssertion(await options.mutateAsync({}));
      accept(await login.mutateAsync({ response }));
      onSignedIn();
    } catch (failure) {
      setError(
        errorCode(failure) === 'UNAUTHORIZED' ? t('signIn.passkeyRefused') : passkeyErrorMessage(failure),
      );
    } finally {
      setPending(false);
    }
  };

  return (
    <div className="stack passkey-sign-in">
      <p className="divider">
        <span>{t('signIn.or')}</span>
      </p>
      {error && (
        <div className="alert alert-error" role="alert">
          <p>{error}</p>
        </div>
      )}
      <button
        type="button"
        className="button button-secondary"
        disabled={pending}
        aria-busy={pending || undefined}
        onClick={() => void signInWithPasskey()}
      >
        {pending ? t('common.waitingPasskey') : t('signIn.withPasskey')}
      </button>
    </div>
  );
}
