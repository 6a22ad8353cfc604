import { errorCode, type RouterOutputs, type User } from '@tessera/client';
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
import { Empty, LoadError, Loading, Notice, Submit, When, useDocumentTitle } from '../ui.js';

type DeviceSession = RouterOutputs['auth']['sessions'][number];

export function ProfilePage() {
  useDocumentTitle('Your profile');
  const { state } = useLocation();
  return (
    <main className="page page-narrow" id="main">
      <header className="page-header">
        <div>
          <h1>Your profile</h1>
          <p className="muted">Your account details, password, second factors and signed-in devices.</p>
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
    if (Object.keys(changes).length === 0) return setSaved('Nothing to save: no changes.');
    if (emailChanges && !changes.currentPassword)
      throw new FormProblem({
        fields: { currentPassword: 'Enter your current password to change your email.' },
      });
    try {
      const updated = await updateMe.mutateAsync(changes);
      setEmailDraft(undefined);
      // A pending address is announced by the alert above the form (role=status).
      setSaved(emailChanges && updated.pendingEmail ? undefined : 'Your details have been saved.');
    } catch (error) {
      if (errorCode(error) === 'CONFLICT')
        throw new FormProblem({ fields: { email: 'Another account already uses this email.' } });
      throw error;
    }
  });

  const cancelEmailChange = async () => {
    setSaved(undefined);
    setCancelError(undefined);
    try {
      // Asking for the current address again drops the pending one and its link.
      await updateMe.mutateAsync({ email: user.email });
      setSaved('The email change is cancelled.');
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
        <h2 id="account-heading">Account</h2>
        <span className={`badge badge-${user.role}`}>{user.role}</span>
      </div>
      {user.pendingEmail && (
        <div className="alert alert-info" role="status">
          <p>
            Check <strong>{user.pendingEmail}</strong> to confirm your new email address. Until you follow the
            link we sent there, you keep signing in with {user.email}.
          </p>
          <button type="button" className="button button-secondary" onClick={() => void cancelEmailChange()}>
            Cancel the change
          </button>
          {cancelError && <p className="field-error">{cancelError}</p>}
        </div>
      )}
      {!user.emailVerified && (
        <div className="alert alert-warning">
          <p>
            Your email address is not verified yet.{' '}
            {verifySent ? 'We have sent you a link: check your inbox.' : ''}
          </p>
          {!verifySent && (
            <button type="button" className="button button-secondary" onClick={() => void sendVerification()}>
              Send verification link
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
            label="Name"
            name="name"
            autoComplete="name"
            required
            defaultValue={user.name}
            error={form.errors.fields.name}
          />
          <EmailField
            defaultValue={user.email}
            error={form.errors.fields.email}
            hint={user.emailVerified ? 'Verified.' : 'Not verified.'}
            onChange={(event) => setEmailDraft(event.currentTarget.value)}
          />
        </div>
        {changingEmail && (
          <CurrentPasswordField
            label="Current password"
            name="currentPassword"
            error={form.errors.fields.currentPassword}
            hint="Needed to change your email. We will send a link to the new address to confirm it."
          />
        )}
        <div className="actions">
          <Submit pending={form.pending} pendingLabel="Saving…">
            Save changes
          </Submit>
        </div>
      </form>
    </section>
  );
}

function PasswordSection() {
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
      throw new FormProblem({ fields: { confirm: 'The two passwords do not match.' } });
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
      <h2 id="password-heading">Change password</h2>
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        {done && (
          <Notice tone="success">
            Your password has been changed. Your other devices have been signed out.
          </Notice>
        )}
        <CurrentPasswordField
          label="Current password"
          name="currentPassword"
          error={form.errors.fields.currentPassword}
        />
        <div className="grid-2">
          <Field
            label="New password"
            name="newPassword"
            type="password"
            autoComplete="new-password"
            required
            error={form.errors.fields.newPassword}
            hint={<PasswordHint length={length} />}
            onChange={(event) => setLength(event.currentTarget.value.length)}
          />
          <Field
            label="Confirm new password"
            name="confirm"
            type="password"
            autoComplete="new-password"
            required
            error={form.errors.fields.confirm}
          />
        </div>
        <div className="actions">
          <Submit pending={form.pending} pendingLabel="Changing…">
            Change password
          </Submit>
        </div>
      </form>
    </section>
  );
}

function SessionsSection() {
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
      navigate('/sign-in', { replace: true, state: { notice: 'You have been signed out on every device.' } });
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(undefined);
    }
  };

  return (
    <section className="card" aria-labelledby="sessions-heading">
      <div className="card-header">
        <h2 id="sessions-heading">Signed-in devices</h2>
        <button type="button" className="button button-secondary" onClick={() => void sessions.refetch()}>
          Refresh
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
        <Loading label="Loading devices…" />
      ) : sessions.data.length === 0 ? (
        <Empty title="No signed-in devices" />
      ) : (
        <ul className="device-list" aria-busy={sessions.isFetching || undefined}>
          {sessions.data.map((device) => (
            <li key={device.id} className="device">
              <div>
                <p className="device-name">
                  {describeUserAgent(device.userAgent)}
                  {device.current && <span className="badge badge-current">This device</span>}
                </p>
                <p className="muted small">
                  {device.ip ?? 'unknown address'} · signed in <When iso={device.createdAt} /> · last active{' '}
                  <When iso={device.lastUsedAt} />
                </p>
              </div>
              <button
                type="button"
                className="button button-secondary"
                disabled={busy !== undefined}
                onClick={() => void revoke(device)}
                aria-label={`Sign out ${device.current ? 'this device' : describeUserAgent(device.userAgent)}`}
              >
                {busy === device.id ? 'Signing out…' : 'Sign out'}
              </button>
            </li>
          ))}
        </ul>
      )}
      {confirmingAll ? (
        <div className="stack">
          <p role="status">
            Every device signed in to your account, this one included, will be signed out and will need your
            password to sign in again.
          </p>
          <div className="actions">
            <button
              type="button"
              className="button button-danger-outline"
              disabled={busy !== undefined}
              onClick={() => void signOutEverywhere()}
            >
              {busy === 'all' ? 'Signing out everywhere…' : 'Sign out every device'}
            </button>
            <button type="button" className="button button-secondary" onClick={() => setConfirmingAll(false)}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <div className="actions">
          <button type="button" className="button button-secondary" onClick={() => setConfirmingAll(true)}>
            Sign out everywhere…
          </button>
        </div>
      )}
    </section>
  );
}

function DeleteSection() {
  const [open, setOpen] = useState(false);
  const form = useForm(['password']);
  const { signOut } = useSession();
  const trpc = useTRPC();
  const deleteMe = useMutation(trpc.users.deleteMe.mutationOptions());

  const onSubmit = form.submit(async (data) => {
    await deleteMe.mutateAsync({ password: text(data, 'password') });
    // The server ended every session with the account; this forgets this tab's (and tells the others).
    await signOut();
    navigate('/sign-in', { replace: true, state: { notice: 'Your account has been deleted.' } });
  });

  return (
    <section className="card card-danger" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete account</h2>
      <p className="muted">
        Deleting your account signs you out everywhere and removes your profile. This cannot be undone.
      </p>
      {!open ? (
        <div className="actions">
          <button type="button" className="button button-danger-outline" onClick={() => setOpen(true)}>
            Delete my account…
          </button>
        </div>
      ) : (
        <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
          <FormAlert message={form.errors.form} />
          <CurrentPasswordField
            label="Confirm with your password"
            name="password"
            autoFocus
            error={form.errors.fields.password}
          />
          <div className="actions">
            <Submit pending={form.pending} tone="danger" pendingLabel="Deleting…">
              Delete my account
            </Submit>
            <button type="button" className="button button-secondary" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
