import { fieldErrors } from '@tessera/client';
import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useSession, useTRPC, useUser } from '@tessera/react';
import { useLinkFragment } from '../fragment.js';
import { confirmedPassword, Field, FormAlert, NewPasswordField, useForm } from '../forms.js';
import { Link, navigate } from '../router.js';
import { AuthCard, Submit, useResetLinkLifetime } from '../ui.js';

export function ResetPasswordPage() {
  const fragment = useLinkFragment();
  const user = useUser();
  const { signOut } = useSession();
  const trpc = useTRPC();
  const reset = useMutation(trpc.auth.resetPassword.mutationOptions());
  const lifetime = useResetLinkLifetime();
  const token = fragment.get('token') ?? '';
  const invite = fragment.get('invite') === '1';
  const form = useForm(['password', 'confirm']);
  const [linkProblem, setLinkProblem] = useState<string>();

  const onSubmit = form.submit(async (data) => {
    const password = confirmedPassword(data, 'password');
    try {
      await reset.mutateAsync({ token, password });
    } catch (error) {
      const tokenError = fieldErrors(error)?.token?.[0];
      if (tokenError) return setLinkProblem(tokenError);
      throw error;
    }
    // Every session of the account has just ended; no automatic sign-in after a reset.
    if (user) await signOut();
    navigate('/sign-in', {
      replace: true,
      state: {
        notice: invite
          ? 'Your password is set. Sign in with it to start using Tessera.'
          : 'Your password has been changed. Sign in with your new password.',
      },
    });
  });

  if (!token || linkProblem) {
    return (
      <AuthCard title={invite ? 'This invitation link cannot be used' : 'This link cannot be used'}>
        <div className="alert alert-error" role="alert">
          <p>
            {linkProblem ?? 'The link is incomplete. Open it straight from the email, or request a new one.'}
          </p>
        </div>
        <p className="muted">
          Reset links work once, for {lifetime}, and only the newest one counts.
          {invite && ' Ask for a reset link with the address the invitation was sent to.'}
        </p>
        <div className="auth-links">
          <Link href="/forgot-password" className="button button-primary">
            Send me a new link
          </Link>
          <Link href="/sign-in">Back to sign in</Link>
        </div>
      </AuthCard>
    );
  }

  return (
    <AuthCard
      title={invite ? 'Welcome! Choose your password' : 'Choose a new password'}
      intro={
        invite
          ? 'You have been invited to Tessera. Choose a password to finish setting up your account.'
          : 'Choose a new password for your account. All your devices will be signed out.'
      }
    >
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <NewPasswordField label="New password" name="password" error={form.errors.fields.password} />
        <Field
          label="Confirm new password"
          name="confirm"
          type="password"
          autoComplete="new-password"
          required
          error={form.errors.fields.confirm}
        />
        <Submit pending={form.pending} pendingLabel="Saving…">
          {invite ? 'Set password' : 'Change password'}
        </Submit>
      </form>
    </AuthCard>
  );
}
