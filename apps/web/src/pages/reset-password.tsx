import { fieldErrors } from '@tessera/client';
import { useTranslation } from 'react-i18next';
import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useSession, useTRPC, useUser } from '@tessera/react';
import { useLinkFragment } from '../fragment.js';
import { confirmedPassword, Field, FormAlert, NewPasswordField, useForm } from '../forms.js';
import { Link, navigate } from '../router.js';
import { AuthCard, Submit, useResetLinkLifetime } from '../ui.js';

export function ResetPasswordPage() {
  const { t } = useTranslation();
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
        notice: invite ? t('reset.inviteDone') : t('reset.done'),
      },
    });
  });

  if (!token || linkProblem) {
    return (
      <AuthCard title={invite ? t('reset.inviteUnusable') : t('link.unusable')}>
        <div className="alert alert-error" role="alert">
          <p>{linkProblem ?? t('reset.incomplete')}</p>
        </div>
        <p className="muted">
          {t('reset.rules', { lifetime })}
          {invite && ` ${t('reset.inviteRules')}`}
        </p>
        <div className="auth-links">
          <Link href="/forgot-password" className="button button-primary">
            {t('reset.newLink')}
          </Link>
          <Link href="/sign-in">{t('common.backToSignIn')}</Link>
        </div>
      </AuthCard>
    );
  }

  return (
    <AuthCard
      title={invite ? t('reset.inviteTitle') : t('reset.title')}
      intro={invite ? t('reset.inviteIntro') : t('reset.intro')}
    >
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <NewPasswordField
          label={t('common.newPassword')}
          name="password"
          error={form.errors.fields.password}
        />
        <Field
          label={t('common.confirmNewPassword')}
          name="confirm"
          type="password"
          autoComplete="new-password"
          required
          error={form.errors.fields.confirm}
        />
        <Submit pending={form.pending} pendingLabel={t('common.saving')}>
          {invite ? t('reset.setPassword') : t('reset.changePassword')}
        </Submit>
      </form>
    </AuthCard>
  );
}
