import { errorReason } from '@tessera/client';
import { Trans, useTranslation } from 'react-i18next';
import { FormProblem, EmailField, Field, FormAlert, NewPasswordField, text, useForm } from '../forms.js';
import { Link, navigate } from '../router.js';
import { useSession, useSettings } from '@tessera/react';
import { currentLocale } from '../i18n/index.js';
import { AuthCard, Loading, Submit } from '../ui.js';

export function SignUpPage() {
  const { t } = useTranslation();
  const form = useForm(['name', 'email', 'password']);
  const { signUp } = useSession();
  const settings = useSettings();

  const onSubmit = form.submit(async (data) => {
    try {
      await signUp({
        name: text(data, 'name'),
        email: text(data, 'email'),
        password: text(data, 'password'),
        // The account keeps the language it was made in: its emails are written in it.
        locale: currentLocale(),
      });
    } catch (error) {
      if (errorReason(error) === 'email_taken')
        throw new FormProblem({ fields: { email: t('signUp.emailTaken') } });
      throw error;
    }
    navigate('/profile', { replace: true, state: { notice: t('signUp.welcome') } });
  });

  if (!settings.data) return <AuthCard title={t('signUp.title')}>{<Loading />}</AuthCard>;
  if (!settings.data.registrationOpen)
    return (
      <AuthCard title={t('signUp.closedTitle')} intro={t('signUp.closedIntro')}>
        <p>{t('signUp.closedText')}</p>
        <div className="auth-links">
          <span>
            {t('signUp.haveAccount')} <Link href="/sign-in">{t('common.signIn')}</Link>
          </span>
        </div>
      </AuthCard>
    );

  return (
    <AuthCard title={t('signUp.title')} intro={t('signUp.intro')}>
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <Field
          label={t('common.name')}
          name="name"
          autoComplete="name"
          required
          maxLength={100}
          error={form.errors.fields.name}
        />
        <EmailField
          error={form.errors.fields.email}
          hint={
            form.errors.fields.email === t('signUp.emailTaken') ? (
              <Trans
                i18nKey="signUp.emailTakenHint"
                components={{ signIn: <Link href="/sign-in" />, reset: <Link href="/forgot-password" /> }}
              />
            ) : undefined
          }
        />
        <NewPasswordField label={t('common.password')} name="password" error={form.errors.fields.password} />
        <Submit pending={form.pending} pendingLabel={t('signUp.pending')}>
          {t('signUp.submit')}
        </Submit>
      </form>
      <div className="auth-links">
        <span>
          {t('signUp.haveAccount')} <Link href="/sign-in">{t('common.signIn')}</Link>
        </span>
      </div>
    </AuthCard>
  );
}
