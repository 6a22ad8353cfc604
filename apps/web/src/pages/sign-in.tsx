import { errorCode } from '@tessera/client';
import { useSession, useSettings } from '@tessera/react';
import { CurrentPasswordField, EmailField, FormAlert, FormProblem, text, useForm } from '../forms.js';
import { safeNext } from '../paths.js';
import { Link, navigate, useLocation } from '../router.js';
import { AuthCard, Notice, Submit } from '../ui.js';

/** Shown on the sign-in page when the server ended the session (revoked, expired, disabled). */
export const SESSION_ENDED = 'Your session has ended. Please sign in again.';

export function SignInPage() {
  const { state: auth, signIn } = useSession();
  const registrationOpen = useSettings().data?.registrationOpen;
  const { query, state } = useLocation();
  const form = useForm(['email', 'password']);
  const notice =
    state.notice ?? (auth.status === 'signed-out' && auth.reason === 'expired' ? SESSION_ENDED : undefined);

  const onSubmit = form.submit(async (data) => {
    try {
      await signIn({ email: text(data, 'email'), password: text(data, 'password') });
    } catch (error) {
      // One message for every bad credential: the server never says which part was wrong.
      if (errorCode(error) === 'UNAUTHORIZED')
        throw new FormProblem({ fields: {}, form: 'Invalid email or password.' });
      throw error;
    }
    navigate(safeNext(query.get('next')) ?? '/profile', { replace: true });
  });

  return (
    <AuthCard title="Sign in" intro="Welcome back. Sign in to manage your account.">
      {notice && <Notice>{notice}</Notice>}
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <EmailField autoComplete="username" defaultValue={state.email} error={form.errors.fields.email} />
        <CurrentPasswordField label="Password" name="password" error={form.errors.fields.password} />
        <Submit pending={form.pending} pendingLabel="Signing in…">
          Sign in
        </Submit>
      </form>
      <div className="auth-links">
        <Link href="/forgot-password">Forgot your password?</Link>
        {registrationOpen && (
          <span>
            New here? <Link href="/sign-up">Create an account</Link>
          </span>
        )}
      </div>
    </AuthCard>
  );
}
