import { errorReason, type RouterOutputs, type User } from '@tessera/client';
import { Trans, useTranslation } from 'react-i18next';
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession, useTRPC, useTRPCClient, useUser } from '@tessera/react';
import { errorMessage } from '../errors.js';
import {
  CurrentPasswordField,
  EmailField,
  Field,
  FormAlert,
  FormProblem,
  PasswordHint,
  text,
  useForm,
} from '../forms.js';
import { navigate, useLocation } from '../router.js';
import { SecuritySection } from '../security/security-section.js';
import { describeUserAgent } from '../user-agent.js';
import { Empty, FormActions, LoadError, Loading, Notice, Submit, useDocumentTitle, When } from '../ui.js';

type DeviceSession = RouterOutputs['auth']['sessions'][number];

export function ProfilePage() {
  const { t } = useTranslation();
  useDocumentTitle(t('profile.title'));
  const { state } = useLocation();
  return (
    <main className="page page-narrow" id="main">
      <header className="page-header">
        <div>
          <h1>{t('profile.title')}</h1>
          <p className="muted">{t('profile.intro')}</p>
        </div>
      </header>
      {state.notice && <Notice tone="success">{state.notice}</Notice>}
      <AccountSection />
      <PasswordSection />
      <SecuritySection />
      <SessionsSection />
      <DeleteSection />
    </main>
  );
}

/** Puts a changed account in the cache every page reads the signed-in user from. */
function useSetMe() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return (user: User) => queryClient.setQueryData(trpc.users.me.queryKey(), user);
}

function AccountSection() {
  const { t } = useTranslation();
  const user = useUser();
  const setUser = useSetMe();
  const trpc = useTRPC();
  const updateMe = useMutation(trpc.users.updateMe.mutationOptions({ onSuccess: setUser }));
  const requestVerification = useMutation(trpc.auth.requestEmailVerification.mutationOptions());
  const form = useForm(['name', 'email', 'currentPassword']);
  const [saved, setSaved] = useState<string>();
  const [emailDraft, setEmailDraft] = useState<string>();
  const [verifySent, setVerifySent] = useState(false);
  const [verifyError, setVerifyError] = useState<string>();
  const [cancelError, setCancelError] = useState<string>();
  if (!user) return null;
  // A new address needs the current password (a stolen session alone must not move the account).
  const changingEmail = emailDraft !== undefined && emailDraft.trim().toLowerCase() !== user.email;

  const onSubmit = form.submit(async (data) => {
    setSaved(undefined);
    const name = text(data, 'name');
    const email = text(data, 'email');
    const emailChanges = email.trim().toLowerCase() !== user.email;
    const changes = {
      ...(name.trim() !== user.name ? { name } : {}),
      ...(emailChanges ? { email, currentPassword: text(data, 'currentPassword') } : {}),
    };
    if (Object.keys(changes).length === 0) return setSaved(t('profile.nothingToSave'));
    if (emailChanges && !changes.currentPassword)
      throw new FormProblem({
        fields: { currentPassword: t('profile.passwordForEmail') },
      });
    try {
      const updated = await updateMe.mutateAsync(changes);
      setEmailDraft(undefined);
      // A pending address is announced by the alert above the form (role=status).
      setSaved(emailChanges && updated.pendingEmail ? undefined : t('profile.saved'));
    } catch (error) {
      if (errorReason(error) === 'email_taken')
        throw new FormProblem({ fields: { email: t('profile.emailTaken') } });
      throw error;
    }
  });

  const cancelEmailChange = async () => {
    setSaved(undefined);
    setCancelError(undefined);
    try {
      // Asking for the current address again drops the pending one and its link.
      await updateMe.mutateAsync({ email: user.email });
      setSaved(t('profile.emailChangeCancelled'));
    } catch (error) {
      setCancelError(errorMessage(error));
    }
  };

  const sendVerification = async () => {
    setVerifyError(undefined);
    try {
      await requestVerification.mutateAsync({});
      setVerifySent(true);
    } catch (error) {
      setVerifyError(errorMessage(error));
    }
  };

  return (
    <section className="card" aria-labelledby="account-heading">
      <div className="card-header">
        <h2 id="account-heading">{t('profile.account')}</h2>
        <span className={`badge badge-${user.role}`}>{t(`roles.${user.role}`)}</span>
      </div>
      {user.pendingEmail && (
        <div className="alert alert-info" role="status">
          <p>
            <Trans
              i18nKey="profile.pendingEmail"
              values={{ pending: user.pendingEmail, email: user.email }}
              components={{ strong: <strong /> }}
            />
          </p>
          <button type="button" className="button button-secondary" onClick={() => void cancelEmailChange()}>
            {t('profile.cancelChange')}
          </button>
          {cancelError && <p className="field-error">{cancelError}</p>}
        </div>
      )}
      {!user.emailVerified && (
        <div className="alert alert-warning">
          <p>
            {t('profile.notVerified')} {verifySent ? t('profile.verifySent') : ''}
          </p>
          {!verifySent && (
            <button type="button" className="button button-secondary" onClick={() => void sendVerification()}>
              {t('profile.sendVerification')}
            </button>
          )}
          {verifyError && <p className="field-error">{verifyError}</p>}
        </div>
      )}
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack" key={user.updatedAt}>
        <FormAlert message={form.errors.form} />
        {saved && <Notice tone="success">{saved}</Notice>}
        <div className="grid-2">
          <Field
            label={t('common.name')}
            name="name"
            autoComplete="name"
            required
            defaultValue={user.name}
            error={form.errors.fields.name}
          />
          <EmailField
            defaultValue={user.email}
            error={form.errors.fields.email}
            hint={user.emailVerified ? t('profile.verified') : t('profile.unverified')}
            onChange={(event) => setEmailDraft(event.currentTarget.value)}
          />
        </div>
        {changingEmail && (
          <CurrentPasswordField
            label={t('common.currentPassword')}
            name="currentPassword"
            error={form.errors.fields.currentPassword}
            hint={t('profile.currentPasswordHint')}
          />
        )}
        <div className="actions">
          <Submit pending={form.pending} pendingLabel={t('common.saving')}>
            {t('profile.save')}
          </Submit>
        </div>
      </form>
    </section>
  );
}

function PasswordSection() {
  const { t } = useTranslation();
  const form = useForm(['currentPassword', 'newPassword', 'confirm']);
  const [length, setLength] = useState(0);
  const [done, setDone] = useState(false);
  const { accept } = useSession();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const changePassword = useMutation(trpc.auth.changePassword.mutationOptions());

  const onSubmit = form.submit(async (data) => {
    setDone(false);
    const newPassword = text(data, 'newPassword');
    if (newPassword !== text(data, 'confirm'))
      throw new FormProblem({ fields: { confirm: t('form.passwordsDiffer') } });
    const result = await changePassword.mutateAsync({
      currentPassword: text(data, 'currentPassword'),
      newPassword,
    });
    // Every session ended, this device's too: carry on with the fresh one.
    accept(result);
    void queryClient.invalidateQueries(trpc.auth.sessions.queryFilter());
    form.element?.reset();
    setLength(0);
    setDone(true);
  });

  return (
    <section className="card" aria-labelledby="password-heading">
      <h2 id="password-heading">{t('reset.changePassword')}</h2>
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        {done && <Notice tone="success">{t('profile.passwordChanged')}</Notice>}
        <CurrentPasswordField
          label={t('common.currentPassword')}
          name="currentPassword"
          error={form.errors.fields.currentPassword}
        />
        <div className="grid-2">
          <Field
            label={t('common.newPassword')}
            name="newPassword"
            type="password"
            autoComplete="new-password"
            required
            error={form.errors.fields.newPassword}
            hint={<PasswordHint length={length} />}
            onChange={(event) => setLength(event.currentTarget.value.length)}
          />
          <Field
            label={t('common.confirmNewPassword')}
            name="confirm"
            type="password"
            autoComplete="new-password"
            required
            error={form.errors.fields.confirm}
          />
        </div>
        <div className="actions">
          <Submit pending={form.pending} pendingLabel={t('profile.changing')}>
            {t('reset.changePassword')}
          </Submit>
        </div>
      </form>
    </section>
  );
}

function SessionsSection() {
  const { t } = useTranslation();
  const { signOut } = useSession();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const client = useTRPCClient();
  const sessions = useQuery(trpc.auth.sessions.queryOptions());
  const revokeSession = useMutation(
    trpc.auth.revokeSession.mutationOptions({
      onSettled: () => queryClient.invalidateQueries(trpc.auth.sessions.queryFilter()),
    }),
  );
  const [confirmingAll, setConfirmingAll] = useState(false);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();

  const revoke = async (device: DeviceSession) => {
    setBusy(device.id);
    setError(undefined);
    try {
      if (device.current) {
        await signOut();
        return;
      }
      await revokeSession.mutateAsync({ id: device.id });
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(undefined);
    }
  };

  const signOutEverywhere = async () => {
    setBusy('all');
    setError(undefined);
    try {
      // The newest list, not the cached one: a device may have signed in since.
      const current = await client.auth.sessions.query();
      await Promise.all(
        current.filter((s) => !s.current).map((s) => client.auth.revokeSession.mutate({ id: s.id })),
      );
      await signOut();
      navigate('/sign-in', { replace: true, state: { notice: t('sessions.signedOutEverywhere') } });
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(undefined);
    }
  };

  return (
    <section className="card" aria-labelledby="sessions-heading">
      <div className="card-header">
        <h2 id="sessions-heading">{t('sessions.heading')}</h2>
        <button type="button" className="button button-secondary" onClick={() => void sessions.refetch()}>
          {t('sessions.refresh')}
        </button>
      </div>
      {error && (
        <div className="alert alert-error" role="alert">
          <p>{error}</p>
        </div>
      )}
      {sessions.error ? (
        <LoadError error={sessions.error} retry={() => void sessions.refetch()} />
      ) : !sessions.data ? (
        <Loading label={t('sessions.loading')} />
      ) : sessions.data.length === 0 ? (
        <Empty title={t('sessions.none')} />
      ) : (
        <ul className="device-list" aria-busy={sessions.isFetching || undefined}>
          {sessions.data.map((device) => (
            <li key={device.id} className="device">
              <div>
                <p className="device-name">
                  {describeUserAgent(device.userAgent)}
                  {device.current && <span className="badge badge-current">{t('sessions.thisDevice')}</span>}
                </p>
                <p className="muted small">
                  <Trans
                    i18nKey="sessions.details"
                    values={{ ip: device.ip ?? t('sessions.unknownAddress') }}
                    components={{
                      signedIn: <When iso={device.createdAt} />,
                      lastActive: <When iso={device.lastUsedAt} />,
                    }}
                  />
                </p>
              </div>
              <button
                type="button"
                className="button button-secondary"
                disabled={busy !== undefined}
                onClick={() => void revoke(device)}
                aria-label={t('sessions.signOutLabel', {
                  device: device.current
                    ? t('sessions.thisDeviceLower')
                    : describeUserAgent(device.userAgent),
                })}
              >
                {busy === device.id ? t('sessions.signingOut') : t('sessions.signOut')}
              </button>
            </li>
          ))}
        </ul>
      )}
      {confirmingAll ? (
        <div className="stack">
          <p role="status">{t('sessions.everywhereWarning')}</p>
          <div className="actions">
            <button
              type="button"
              className="button button-danger-outline"
              disabled={busy !== undefined}
              onClick={() => void signOutEverywhere()}
            >
              {busy === 'all' ? t('sessions.signingOutEverywhere') : t('sessions.signOutEvery')}
            </button>
            <button type="button" className="button button-secondary" onClick={() => setConfirmingAll(false)}>
              {t('common.cancel')}
            </button>
          </div>
        </div>
      ) : (
        <div className="actions">
          <button type="button" className="button button-secondary" onClick={() => setConfirmingAll(true)}>
            {t('sessions.everywhere')}
          </button>
        </div>
      )}
    </section>
  );
}

function DeleteSection() {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const form = useForm(['password']);
  const { signOut } = useSession();
  const trpc = useTRPC();
  const deleteMe = useMutation(trpc.users.deleteMe.mutationOptions());

  const onSubmit = form.submit(async (data) => {
    await deleteMe.mutateAsync({ password: text(data, 'password') });
    // The server ended every session with the account; this forgets this tab's (and tells the others).
    await signOut();
    navigate('/sign-in', { replace: true, state: { notice: t('deleteAccount.done') } });
  });

  return (
    <section className="card card-danger" aria-labelledby="delete-heading">
      <h2 id="delete-heading">{t('deleteAccount.heading')}</h2>
      <p className="muted">{t('deleteAccount.text')}</p>
      {!open ? (
        <div className="actions">
          <button type="button" className="button button-danger-outline" onClick={() => setOpen(true)}>
            {t('deleteAccount.open')}
          </button>
        </div>
      ) : (
        <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
          <FormAlert message={form.errors.form} />
          <CurrentPasswordField
            label={t('deleteAccount.confirm')}
            name="password"
            autoFocus
            error={form.errors.fields.password}
          />
          <FormActions
            pending={form.pending}
            tone="danger"
            pendingLabel={t('common.deleting')}
            onCancel={() => setOpen(false)}
          >
            {t('deleteAccount.submit')}
          </FormActions>
        </form>
      )}
    </section>
  );
}
