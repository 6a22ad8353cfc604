import { useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { EmailField, FormAlert, text, useForm } from '../forms.js';
import { Link } from '../router.js';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@tessera/react';
import { AuthCard, Notice, Submit, useResetLinkLifetime } from '../ui.js';

export function ForgotPasswordPage() {
  const { t } = useTranslation();
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
      <AuthCard title={t('forgot.sentTitle')}>
        <Notice tone="success">
          <p>
            <Trans
              i18nKey="forgot.sent"
              values={{ email: sentTo, lifetime }}
              components={{ strong: <strong /> }}
            />
          </p>
        </Notice>
        <p className="muted">{t('forgot.noEmail')}</p>
        <div className="auth-links">
          <button type="button" className="link-button" onClick={() => setSentTo(undefined)}>
            {t('forgot.sendAnother')}
          </button>
          <Link href="/sign-in">{t('common.backToSignIn')}</Link>
        </div>
      </AuthCard>
    );
  }

  return (
    <AuthCard title={t('forgot.title')} intro={t('forgot.intro')}>
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <EmailField error={form.errors.fields.email} />
        <Submit pending={form.pending} pendingLabel={t('forgot.pending')}>
          {t('forgot.submit')}
        </Submit>
      </form>
      <div className="auth-links">
        <Link href="/sign-in">{t('common.backToSignIn')}</Link>
      </div>
    </AuthCard>
  );
}
