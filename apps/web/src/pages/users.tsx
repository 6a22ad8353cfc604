import { Trans, useTranslation } from 'react-i18next';
import {
  can,
  creatableRoles,
  errorCode,
  errorReason,
  roles,
  type Role,
  type RouterInputs,
  type User,
} from '@tessera/client';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSettings, useTRPC, useUser } from '@tessera/react';
import { useEffect, useState } from 'react';
import { errorMessage } from '../errors.js';
import { ExportMenu } from '../export-menu.js';
import { EmailField, Field, FormAlert, FormProblem, text, useForm } from '../forms.js';
import { Link } from '../router.js';
import { userSorts } from './user-sorts.js';
import { Dialog, Empty, FormActions, Notice, Pending, useDocumentTitle, When } from '../ui.js';
import { ConfirmDialog } from '../confirm-dialog.js';

type ListInput = Extract<RouterInputs['users']['list'], object>;

type SortKey = (typeof userSorts)[number];

const PAGE_SIZE = 20;

export function UsersPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('nav.users'));
  const me = useUser();
  const trpc = useTRPC();
  const [searchInput, setSearchInput] = useState('');
  const [search, setSearch] = useState('');
  const [role, setRole] = useState<Role | ''>('');
  const [sort, setSort] = useState<SortKey>('createdAt.desc');
  // Cursors of the pages before this one: "Previous" pops, "Next" pushes.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [message, setMessage] = useState<string>();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<User>();
  const [resettingMfa, setResettingMfa] = useState<User>();

  // A new filter starts again from the first page (in the same render, so no request
  // pairs the new filter with an old cursor).
  const firstPage = () => setCursors([undefined]);
  // Wait for a pause in typing before searching.
  useEffect(() => {
    const timer = setTimeout(() => {
      const next = searchInput.trim();
      if (next === search) return;
      setSearch(next);
      firstPage();
    }, 300);
    return () => clearTimeout(timer);
  }, [searchInput, search]);

  const cursor = cursors[cursors.length - 1];
  const [sortField, order] = sort.split('.') as [ListInput['sort'], ListInput['order']];
  const input: ListInput = {
    limit: PAGE_SIZE,
    sort: sortField,
    order,
    ...(search ? { search } : {}),
    ...(role ? { role } : {}),
    ...(cursor ? { cursor } : {}),
  };
  // The last page stays on screen while the next one loads; mutations below invalidate users.*.
  const list = useQuery({ ...trpc.users.list.queryOptions(input), placeholderData: keepPreviousData });

  if (!me) return null;
  const page = list.data;
  const filtered = Boolean(search || role);

  return (
    <main className="page" id="main">
      <header className="page-header">
        <div>
          <h1>{t('nav.users')}</h1>
          <p className="muted">
            {me.role === 'admin' ? t('users.introAdmin') : t('users.introManager', { role: t('roles.user') })}
          </p>
        </div>
        <div className="header-actions">
          {can(me, 'users.export') && <ExportMenu />}
          {creatableRoles(me).length > 0 && (
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              {t('users.create')}
            </button>
          )}
        </div>
      </header>

      <div aria-live="polite">{message && <Notice tone="success">{message}</Notice>}</div>

      <div className="toolbar" role="search">
        <div className="field">
          <label htmlFor="user-search">{t('users.search')}</label>
          <input
            id="user-search"
            type="search"
            placeholder={t('users.searchPlaceholder')}
            value={searchInput}
            onChange={(event) => setSearchInput(event.currentTarget.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="user-role">{t('common.role')}</label>
          <select
            id="user-role"
            value={role}
            onChange={(event) => {
              setRole(event.currentTarget.value as Role | '');
              firstPage();
            }}
          >
            <option value="">{t('users.allRoles')}</option>
            {roles.map((r) => (
              <option key={r} value={r}>
                {t(`roles.${r}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="user-sort">{t('users.sortBy')}</label>
          <select
            id="user-sort"
            value={sort}
            onChange={(event) => {
              setSort(event.currentTarget.value as SortKey);
              firstPage();
            }}
          >
            {userSorts.map((value) => (
              <option key={value} value={value}>
                {t(`users.sort.${value}`)}
              </option>
            ))}
          </select>
        </div>
      </div>

      <div className="table-wrap">
        {list.error || !page ? (
          <Pending query={list} label={t('users.loading')} />
        ) : page.items.length === 0 ? (
          <Empty title={filtered ? t('users.noMatch') : t('users.none')}>
            {filtered ? t('users.noMatchText') : t('users.noneText', { create: t('users.create') })}
          </Empty>
        ) : (
          <table aria-busy={list.isFetching || undefined}>
            <caption className="visually-hidden">{t('users.caption', { page: cursors.length })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('users.user')}</th>
                <th scope="col">{t('common.role')}</th>
                <th scope="col">{t('common.status')}</th>
                <th scope="col">{t('common.created')}</th>
                <th scope="col">{t('users.lastSignIn')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('common.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((user) => (
                <UserRow
                  key={user.id}
                  me={me}
                  user={user}
                  onChanged={setMessage}
                  onDelete={() => setDeleting(user)}
                  onResetMfa={() => setResettingMfa(user)}
                />
              ))}
            </tbody>
          </table>
        )}
        {page && (cursors.length > 1 || page.nextCursor) && (
          <nav className="pager" aria-label={t('users.pages')}>
            <button
              type="button"
              className="button button-secondary button-small"
              disabled={cursors.length === 1 || list.isFetching}
              onClick={() => setCursors((c) => c.slice(0, -1))}
            >
              {t('users.previous')}
            </button>
            <span className="muted small">{t('users.page', { page: cursors.length })}</span>
            <button
              type="button"
              className="button button-secondary button-small"
              disabled={!page.nextCursor || list.isFetching}
              onClick={() => page.nextCursor && setCursors((c) => [...c, page.nextCursor ?? undefined])}
            >
              {t('users.next')}
            </button>
          </nav>
        )}
      </div>

      {creating && (
        <CreateUserDialog
          me={me}
          onClose={() => setCreating(false)}
          onCreated={(note) => {
            setCreating(false);
            setMessage(note);
          }}
        />
      )}
      {resettingMfa && (
        <ResetMfaDialog
          user={resettingMfa}
          onClose={() => setResettingMfa(undefined)}
          onReset={(note) => {
            setResettingMfa(undefined);
            setMessage(note);
          }}
        />
      )}
      {deleting && (
        <DeleteUserDialog
          user={deleting}
          onClose={() => setDeleting(undefined)}
          onDeleted={(note) => {
            setDeleting(undefined);
            setMessage(note);
          }}
        />
      )}
    </main>
  );
}

/** After any change to an account, every cached list and read of users is stale. */
function useInvalidateUsers() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries(trpc.users.pathFilter());
}

/** A change waiting for the admin's confirmation, with what it will do in words. */
interface PendingChange {
  changes: { role?: Role; disabled?: boolean };
  consequence: string;
  confirm: string;
  done: string;
}

function UserRow({
  me,
  user,
  onChanged,
  onDelete,
  onResetMfa,
}: {
  me: User;
  user: User;
  onChanged: (message: string) => void;
  onDelete: () => void;
  onResetMfa: () => void;
}) {
  const { t } = useTranslation();
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const update = useMutation(trpc.users.update.mutationOptions({ onSettled: invalidate }));
  const [pending, setPending] = useState<PendingChange>();
  const [error, setError] = useState<string>();
  const isMe = user.id === me.id;
  const busy = update.isPending;
  const who = user.name || user.email;

  const apply = async ({ changes, done }: PendingChange) => {
    setError(undefined);
    try {
      // Refused with CONFLICT if someone else changed the account since this page loaded it.
      await update.mutateAsync({ id: user.id, expectedUpdatedAt: user.updatedAt, ...changes });
      setPending(undefined);
      onChanged(done);
    } catch (failure) {
      setError(errorCode(failure) === 'CONFLICT' ? t('users.changedMeanwhile') : errorMessage(failure));
    }
  };

  const askRole = (next: Role) => {
    // `roles` runs from most to least powerful: a later one is a demotion, which ends sessions.
    const demotion = roles.indexOf(next) > roles.indexOf(user.role);
    setPending(
      next === user.role
        ? undefined
        : {
            changes: { role: next },
            consequence: t(demotion ? 'users.willBecomeSignedOut' : 'users.willBecome', {
              who,
              role: t(`roleNoun.${next}`),
            }),
            confirm: t(`users.makeRole.${next}`),
            done: t('users.isNow', { who, role: t(`roleNoun.${next}`) }),
          },
    );
  };

  const askDisable = () =>
    setPending(
      user.disabled
        ? {
            changes: { disabled: false },
            consequence: t('users.willBeEnabled', { who }),
            confirm: t('common.enable'),
            done: t('users.enabled', { who }),
          }
        : {
            changes: { disabled: true },
            consequence: t('users.willBeDisabled', { who }),
            confirm: t('common.disable'),
            done: t('users.disabled', { who }),
          },
    );

  return (
    <tr>
      <td className="cell-user" data-label={t('users.user')}>
        <div>
          <div className="name">
            {user.name}
            {isMe && <span className="badge badge-current">{t('users.you')}</span>}
          </div>
          <div className="email">{user.email}</div>
        </div>
      </td>
      <td data-label={t('common.role')}>
        {can(me, 'users.setRole', user) ? (
          <select
            aria-label={t('users.roleOf', { who })}
            value={pending?.changes.role ?? user.role}
            disabled={busy}
            onChange={(event) => askRole(event.currentTarget.value as Role)}
          >
            {roles.map((r) => (
              <option key={r} value={r}>
                {t(`roles.${r}`)}
              </option>
            ))}
          </select>
        ) : (
          <span className={`badge badge-${user.role}`}>{t(`roles.${user.role}`)}</span>
        )}
      </td>
      <td data-label={t('common.status')}>
        <div>
          <span className={`badge ${user.disabled ? 'badge-disabled' : 'badge-active'}`}>
            {user.disabled ? t('users.statusDisabled') : t('users.statusActive')}
          </span>
          {!user.emailVerified && <span className="status-note">{t('users.emailUnverified')}</span>}
          <span className="status-note">
            {user.mfaEnabled ? t('users.secondFactorOn') : t('security.passwordOnly')}
          </span>
        </div>
      </td>
      <td data-label={t('common.created')}>
        <When iso={user.createdAt} />
      </td>
      <td data-label={t('users.lastSignIn')}>
        <When iso={user.lastLoginAt} empty={t('common.never')} />
      </td>
      <td data-label={t('common.actions')}>
        {pending ? (
          <div className="confirm" role="group" aria-label={t('users.confirmChange', { who })}>
            <p className="small">{pending.consequence}</p>
            <div className="cell-actions">
              <button
                type="button"
                className={
                  pending.changes.disabled
                    ? 'button button-danger-outline button-small'
                    : 'button button-primary button-small'
                }
                disabled={busy}
                onClick={() => void apply(pending)}
              >
                {busy ? t('common.saving') : pending.confirm}
              </button>
              <button
                type="button"
                className="button button-secondary button-small"
                disabled={busy}
                onClick={() => {
                  setPending(undefined);
                  setError(undefined);
                }}
              >
                {t('common.cancel')}
              </button>
            </div>
          </div>
        ) : (
          <div className="cell-actions">
            {can(me, 'users.disable', user) && (
              <button
                type="button"
                className="button button-secondary button-small"
                disabled={busy}
                aria-label={t(user.disabled ? 'users.enableWho' : 'users.disableWho', { who })}
                onClick={askDisable}
              >
                {user.disabled ? t('common.enable') : t('common.disable')}
              </button>
            )}
            {user.mfaEnabled && can(me, 'users.resetMfa', user) && (
              <button
                type="button"
                className="button button-secondary button-small"
                disabled={busy}
                aria-label={t('users.resetMfaOf', { who })}
                onClick={onResetMfa}
              >
                {t('users.resetMfa')}
              </button>
            )}
            {can(me, 'audit.read') && (
              <Link
                className="button button-secondary button-small"
                href={`/admin/audit?targetId=${encodeURIComponent(user.id)}`}
                aria-label={t('users.activityOf', { who })}
              >
                {t('users.activity')}
              </Link>
            )}
            {can(me, 'users.delete', user) && (
              <button
                type="button"
                className="button button-danger-outline button-small"
                disabled={busy}
                aria-label={t('users.deleteWho', { who })}
                onClick={onDelete}
              >
                {t('common.delete')}
              </button>
            )}
          </div>
        )}
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}

function CreateUserDialog({
  me,
  onClose,
  onCreated,
}: {
  me: User;
  onClose: () => void;
  onCreated: (message: string) => void;
}) {
  const { t } = useTranslation();
  const form = useForm(['name', 'email', 'password', 'role']);
  const [invite, setInvite] = useState(true);
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const create = useMutation(trpc.users.create.mutationOptions({ onSuccess: invalidate }));
  const offered = creatableRoles(me);

  const onSubmit = form.submit(async (data) => {
    const role = (text(data, 'role') || 'user') as Role;
    const created = await create
      .mutateAsync({
        name: text(data, 'name'),
        email: text(data, 'email'),
        role,
        ...(invite ? {} : { password: text(data, 'password') }),
      })
      .catch((error: unknown) => {
        if (errorReason(error) === 'email_taken')
          throw new FormProblem({ fields: { email: t('signUp.emailTaken') } });
        throw error;
      });
    onCreated(
      invite
        ? t('users.invited', { email: created.email })
        : t('users.createdWithPassword', { name: created.name }),
    );
  });

  return (
    <Dialog title={t('users.create')} onClose={onClose}>
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <Field
          label={t('common.name')}
          name="name"
          autoComplete="off"
          required
          autoFocus
          error={form.errors.fields.name}
        />
        <EmailField autoComplete="off" error={form.errors.fields.email} />
        {offered.length > 1 ? (
          <div className="field">
            <label htmlFor="create-role">{t('common.role')}</label>
            <select id="create-role" name="role" defaultValue="user">
              {offered.map((r) => (
                <option key={r} value={r}>
                  {t(`roles.${r}`)}
                </option>
              ))}
            </select>
            {form.errors.fields.role && <p className="field-error">{form.errors.fields.role}</p>}
          </div>
        ) : (
          <input type="hidden" name="role" value="user" />
        )}
        <fieldset>
          <legend>{t('users.howIn')}</legend>
          <label className="choice">
            <input type="radio" name="access" checked={invite} onChange={() => setInvite(true)} />
            {t('users.inviteChoice')}
          </label>
          <label className="choice">
            <input type="radio" name="access" checked={!invite} onChange={() => setInvite(false)} />
            {t('users.passwordChoice')}
          </label>
        </fieldset>
        {!invite && (
          <Field
            label={t('common.password')}
            name="password"
            type="password"
            autoComplete="new-password"
            required
            error={form.errors.fields.password}
            hint={<NewAccountPasswordHint />}
          />
        )}
        <FormActions pending={form.pending} pendingLabel={t('common.creating')} onCancel={onClose}>
          {invite ? t('users.createAndInvite') : t('users.create')}
        </FormActions>
      </form>
    </Dialog>
  );
}

function DeleteUserDialog({
  user,
  onClose,
  onDeleted,
}: {
  user: User;
  onClose: () => void;
  onDeleted: (message: string) => void;
}) {
  const { t } = useTranslation();
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const remove = useMutation(trpc.users.delete.mutationOptions({ onSuccess: invalidate }));
  return (
    <ConfirmDialog
      title={t('users.deleteTitle')}
      confirmLabel={t('users.deleteSubmit')}
      pendingLabel={t('common.deleting')}
      onClose={onClose}
      onConfirm={async () => {
        await remove.mutateAsync({ id: user.id });
        onDeleted(t('users.deleted', { name: user.name, email: user.email }));
      }}
    >
      <p>
        <Trans
          i18nKey="users.deleteWarning"
          values={{ name: user.name, email: user.email }}
          components={{ strong: <strong /> }}
        />
      </p>
    </ConfirmDialog>
  );
}

/** Removes every second factor of someone who lost theirs, after saying what that means. */
function ResetMfaDialog({
  user,
  onClose,
  onReset,
}: {
  user: User;
  onClose: () => void;
  onReset: (message: string) => void;
}) {
  const { t } = useTranslation();
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const reset = useMutation(trpc.users.resetMfa.mutationOptions({ onSuccess: invalidate }));
  return (
    <ConfirmDialog
      title={t('users.resetMfaTitle')}
      confirmLabel={t('users.resetMfa')}
      pendingLabel={t('users.resetting')}
      onClose={onClose}
      onConfirm={async () => {
        await reset.mutateAsync({ id: user.id });
        onReset(t('users.mfaReset', { name: user.name }));
      }}
    >
      <p>
        <Trans
          i18nKey="users.resetMfaWarning"
          values={{ name: user.name, email: user.email }}
          components={{ strong: <strong /> }}
        />
      </p>
      <p className="muted">{t('users.resetMfaCaution')}</p>
    </ConfirmDialog>
  );
}

function NewAccountPasswordHint() {
  const { t } = useTranslation();
  const min = useSettings().data?.passwordMinLength;
  return (
    <>
      {min ? `${t('form.atLeast', { count: min })} ` : ''}
      {t('users.shareSafely')}
    </>
  );
}
