import { errorCode } from '@tessera/client';
import { useState } from 'react';
import { FormProblem, Field, FormAlert, text, useForm } from '../forms.js';
import { Link, navigate } from '../router.js';
import { api, session } from '../session.js';
import { AuthCard, PASSWORD_HINT, Submit } from '../ui.js';

export function SignUpPage() {
  const form = useForm(['name', 'email', 'password']);
  const [length, setLength] = useState(0);

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
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          required
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
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          error={form.errors.fields.password}
          hint={<PasswordHint length={length} />}
          onChange={(event) => setLength(event.currentTarget.value.length)}
        />
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

/** The policy, with a count so people see when they are there. */
export function PasswordHint({ length }: { length: number }) {
  return (
    <>
      {PASSWORD_HINT} <span className={length >= 15 ? 'count count-ok' : 'count'}>{length} / 15</span>
    </>
  );
}
