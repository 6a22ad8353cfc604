import { useState } from 'react';
import { EmailField, FormAlert, text, useForm } from '../forms.js';
import { Link } from '../router.js';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@tessera/react';
import { AuthCard, Notice, Submit, useResetLinkLifetime } from '../ui.js';

export function ForgotPasswordPage() {
  const form = useForm(['email']);
  const [sentTo, setSentTo] = useState<string>();
  const trpc = useTRPC();
  const request = useMutation(trpc.auth.requestPasswordReset.mutationOptions());
  const lifetime = useResetLinkLifetime();

  const onSubmit = form.submit(async (data) => {
    const email = text(data, 'email');
    await request.mutateAsync({ email });
    setSentTo(email.trim());
  });

  if (sentTo) {
    // The same words whether or not the account exists: the page must not tell.
    return (
      <AuthCard title="Check your email">
        <Notice tone="success">
          <p>
            If an account exists for <strong>{sentTo}</strong>, we have sent it a link to choose a new
            password. The link works for {lifetime} and only once.
          </p>
        </Notice>
        <p className="muted">No email after a few minutes? Check your spam folder, or send another link.</p>
        <div className="auth-links">
          <button type="button" className="link-button" onClick={() => setSentTo(undefined)}>
            Send another link
          </button>
          <Link href="/sign-in">Back to sign in</Link>
        </div>
      </AuthCard>
    );
  }

  return (
    <AuthCard
      title="Forgot your password?"
      intro="Enter the email address of your account and we will send you a link to choose a new password."
    >
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <EmailField error={form.errors.fields.email} />
        <Submit pending={form.pending} pendingLabel="Sending…">
          Send reset link
        </Submit>
      </form>
      <div className="auth-links">
        <Link href="/sign-in">Back to sign in</Link>
      </div>
    </AuthCard>
  );
}
