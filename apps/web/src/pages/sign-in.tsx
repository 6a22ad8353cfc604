import { errorCode } from '@tessera/client';
import { useAuth } from '../auth.js';
import { CurrentPasswordField, EmailField, FormAlert, FormProblem, text, useForm } from '../forms.js';
import { safeNext } from '../paths.js';
import { Link, navigate, useLocation } from '../router.js';
import { api, session } from '../session.js';
import { AuthCard, Notice, Submit } from '../ui.js';

export function SignInPage() {
  const { state: auth } = useAuth();
  const { query, state } = useLocation();
  const form = useForm(['email', 'password']);
  const notice = state.notice ?? (auth.status === 'signed-out' ? auth.notice : undefined);

  const onSubmit = form.submit(async (data) => {
    try {
      const result = await api.auth.login.mutate({
        email: text(data, 'email'),
        password: text(data, 'password'),
      });
      session.accept(result);
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
        <span>
          New here? <Link href="/sign-up">Create an account</Link>
        </span>
      </div>
    </AuthCard>
  );
}
