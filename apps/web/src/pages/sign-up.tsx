import { errorCode } from '@tessera/client';
import { FormProblem, EmailField, Field, FormAlert, NewPasswordField, text, useForm } from '../forms.js';
import { Link, navigate } from '../router.js';
import { api, session } from '../session.js';
import { AuthCard, Submit } from '../ui.js';

export function SignUpPage() {
  const form = useForm(['name', 'email', 'password']);

  const onSubmit = form.submit(async (data) => {
    try {
      const result = await api.auth.register.mutate({
        name: text(data, 'name'),
        email: text(data, 'email'),
        password: text(data, 'password'),
      });
      session.accept(result);
    } catch (error) {
      if (errorCode(error) === 'CONFLICT')
        throw new FormProblem({ fields: { email: 'An account with this email already exists.' } });
      throw error;
    }
    navigate('/profile', { replace: true, state: { notice: 'Welcome to Tessera! Your account is ready.' } });
  });

  return (
    <AuthCard title="Create your account" intro="It takes a minute. You can change everything later.">
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <Field
          label="Name"
          name="name"
          autoComplete="name"
          required
          maxLength={100}
          error={form.errors.fields.name}
        />
        <EmailField
          error={form.errors.fields.email}
          hint={
            form.errors.fields.email?.includes('already exists') ? (
              <>
                <Link href="/sign-in">Sign in</Link> or{' '}
                <Link href="/forgot-password">reset your password</Link>.
              </>
            ) : undefined
          }
        />
        <NewPasswordField label="Password" name="password" error={form.errors.fields.password} />
        <Submit pending={form.pending} pendingLabel="Creating your account…">
          Create account
        </Submit>
      </form>
      <div className="auth-links">
        <span>
          Already have an account? <Link href="/sign-in">Sign in</Link>
        </span>
      </div>
    </AuthCard>
  );
}

// profile.tsx still imports the hint from here; forms.tsx is its home.
export { PasswordHint } from '../forms.js';
