import { errorCode } from '@tessera/client';
import { FormProblem, EmailField, Field, FormAlert, NewPasswordField, text, useForm } from '../forms.js';
import { Link, navigate } from '../router.js';
import { useSession, useSettings } from '@tessera/react';
import { AuthCard, Loading, Submit } from '../ui.js';

export function SignUpPage() {
  const form = useForm(['name', 'email', 'password']);
  const { signUp } = useSession();
  const settings = useSettings();

  const onSubmit = form.submit(async (data) => {
    try {
      await signUp({
        name: text(data, 'name'),
        email: text(data, 'email'),
        password: text(data, 'password'),
      });
    } catch (error) {
      if (errorCode(error) === 'CONFLICT')
        throw new FormProblem({ fields: { email: 'An account with this email already exists.' } });
      throw error;
    }
    navigate('/profile', { replace: true, state: { notice: 'Welcome to Tessera! Your account is ready.' } });
  });

  if (!settings.data) return <AuthCard title="Create your account">{<Loading />}</AuthCard>;
  if (!settings.data.registrationOpen)
    return (
      <AuthCard title="Sign-up is closed" intro="Accounts on this Tessera are created by invitation.">
        <p>Ask an administrator to invite you; the email they send lets you choose a password.</p>
        <div className="auth-links">
          <span>
            Already have an account? <Link href="/sign-in">Sign in</Link>
          </span>
        </div>
      </AuthCard>
    );

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
