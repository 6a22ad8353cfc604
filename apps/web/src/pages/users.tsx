import {
  can,
  creatableRoles,
  errorCode,
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
import {
  article,
  capitalise,
  Dialog,
  Empty,
  Notice,
  Pending,
  Submit,
  When,
  useDocumentTitle,
} from '../ui.js';

type ListInput = Extract<RouterInputs['users']['list'], object>;

const SORTS = {
  'createdAt.desc': 'Newest first',
  'createdAt.asc': 'Oldest first',
  'name.asc': 'Name (A–Z)',
  'name.desc': 'Name (Z–A)',
  'email.asc': 'Email (A–Z)',
  'email.desc': 'Email (Z–A)',
} as const;
type SortKey = keyof typeof SORTS;

const PAGE_SIZE = 20;

export function UsersPage() {
  useDocumentTitle('Users');
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
          <h1>Users</h1>
          <p className="muted">
            {me.role === 'admin'
              ? 'Find, create and manage every account.'
              : 'Find, create and manage accounts with the role “user”.'}
          </p>
        </div>
        <div className="header-actions">
          {can(me, 'users.export') && <ExportMenu />}
          {creatableRoles(me).length > 0 && (
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              Create user
            </button>
          )}
        </div>
      </header>

      <div aria-live="polite">{message && <Notice tone="success">{message}</Notice>}</div>

      <div className="toolbar" role="search">
        <div className="field">
          <label htmlFor="user-search">Search</label>
          <input
            id="user-search"
            type="search"
            placeholder="Name or email"
            value={searchInput}
            onChange={(event) => setSearchInput(event.currentTarget.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="user-role">Role</label>
          <select
            id="user-role"
            value={role}
            onChange={(event) => {
              setRole(event.currentTarget.value as Role | '');
              firstPage();
            }}
          >
            <option value="">All roles</option>
            {roles.map((r) => (
              <option key={r} value={r}>
                {capitalise(r)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="user-sort">Sort by</label>
          <select
            id="user-sort"
            value={sort}
            onChange={(event) => {
              setSort(event.currentTarget.value as SortKey);
              firstPage();
            }}
          >
            {Object.entries(SORTS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
      </div>

      <div className="table-wrap">
        {list.error || !page ? (
          <Pending query={list} label="Loading users…" />
        ) : page.items.length === 0 ? (
          <Empty title={filtered ? 'No users match' : 'No users yet'}>
            {filtered ? 'Try another search or role.' : 'Create the first one with “Create user”.'}
          </Empty>
        ) : (
          <table aria-busy={list.isFetching || undefined}>
            <caption className="visually-hidden">Users, page {cursors.length}</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Last sign-in</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
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
          <nav className="pager" aria-label="Pages">
            <button
              type="button"
              className="button button-secondary button-small"
              disabled={cursors.length === 1 || list.isFetching}
              onClick={() => setCursors((c) => c.slice(0, -1))}
            >
              Previous
            </button>
            <span className="muted small">Page {cursors.length}</span>
            <button
              type="button"
              className="button button-secondary button-small"
              disabled={!page.nextCursor || list.isFetching}
              onClick={() => page.nextCursor && setCursors((c) => [...c, page.nextCursor ?? undefined])}
            >
              Next
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
      setError(
        errorCode(failure) === 'CONFLICT'
          ? 'This account changed meanwhile. The list has been reloaded; try again.'
          : errorMessage(failure),
      );
    }
  };

  const askRole = (next: Role) =>
    setPending(
      next === user.role
        ? undefined
        : {
            changes: { role: next },
            consequence: `${who} will become ${article(next)} ${next}${
              roles.indexOf(next) > roles.indexOf(user.role)
                ? ' and be signed out everywhere, so their access matches the new role at once'
                : ''
            }.`,
            confirm: `Make ${next}`,
            done: `${who} is now ${article(next)} ${next}.`,
          },
    );

  const askDisable = () =>
    setPending(
      user.disabled
        ? {
            changes: { disabled: false },
            consequence: `${who} will be able to sign in again.`,
            confirm: 'Enable',
            done: `${who} can sign in again.`,
          }
        : {
            changes: { disabled: true },
            consequence: `${who} will be signed out everywhere and unable to sign in until enabled again.`,
            confirm: 'Disable',
            done: `${who} is disabled and has been signed out.`,
          },
    );

  return (
    <tr>
      <td className="cell-user" data-label="User">
        <div>
          <div className="name">
            {user.name}
            {isMe && <span className="badge badge-current">You</span>}
          </div>
          <div className="email">{user.email}</div>
        </div>
      </td>
      <td data-label="Role">
        {can(me, 'users.setRole', user) ? (
          <select
            aria-label={`Role of ${who}`}
            value={pending?.changes.role ?? user.role}
            disabled={busy}
            onChange={(event) => askRole(event.currentTarget.value as Role)}
          >
            {roles.map((r) => (
              <option key={r} value={r}>
                {capitalise(r)}
              </option>
            ))}
          </select>
        ) : (
          <span className={`badge badge-${user.role}`}>{user.role}</span>
        )}
      </td>
      <td data-label="Status">
        <div>
          <span className={`badge ${user.disabled ? 'badge-disabled' : 'badge-active'}`}>
            {user.disabled ? 'Disabled' : 'Active'}
          </span>
          {!user.emailVerified && <span className="status-note">Email unverified</span>}
          <span className="status-note">{user.mfaEnabled ? 'Second factor on' : 'Password only'}</span>
        </div>
      </td>
      <td data-label="Created">
        <When iso={user.createdAt} />
      </td>
      <td data-label="Last sign-in">
        <When iso={user.lastLoginAt} empty="Never" />
      </td>
      <td data-label="Actions">
        {pending ? (
          <div className="confirm" role="group" aria-label={`Confirm the change to ${who}`}>
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
                {busy ? 'Saving…' : pending.confirm}
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
                Cancel
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
                aria-label={`${user.disabled ? 'Enable' : 'Disable'} ${who}`}
                onClick={askDisable}
              >
                {user.disabled ? 'Enable' : 'Disable'}
              </button>
            )}
            {user.mfaEnabled && can(me, 'users.resetMfa', user) && (
              <button
                type="button"
                className="button button-secondary button-small"
                disabled={busy}
                aria-label={`Reset second factors of ${who}`}
                onClick={onResetMfa}
              >
                Reset second factors
              </button>
            )}
            {can(me, 'audit.read') && (
              <Link
                className="button button-secondary button-small"
                href={`/admin/audit?targetId=${encodeURIComponent(user.id)}`}
                aria-label={`Activity of ${who}`}
              >
                Activity
              </Link>
            )}
            {can(me, 'users.delete', user) && (
              <button
                type="button"
                className="button button-danger-outline button-small"
                disabled={busy}
                aria-label={`Delete ${who}`}
                onClick={onDelete}
              >
                Delete
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
        if (errorCode(error) === 'CONFLICT')
          throw new FormProblem({ fields: { email: 'An account with this email already exists.' } });
        throw error;
      });
    onCreated(
      invite
        ? `Invitation sent to ${created.email}. The link lets them choose a password.`
        : `${created.name} can now sign in with the password you set.`,
    );
  });

  return (
    <Dialog title="Create user" onClose={onClose}>
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <Field
          label="Name"
          name="name"
          autoComplete="off"
          required
          autoFocus
          error={form.errors.fields.name}
        />
        <EmailField autoComplete="off" error={form.errors.fields.email} />
        {offered.length > 1 ? (
          <div className="field">
            <label htmlFor="create-role">Role</label>
            <select id="create-role" name="role" defaultValue="user">
              {offered.map((r) => (
                <option key={r} value={r}>
                  {capitalise(r)}
                </option>
              ))}
            </select>
            {form.errors.fields.role && <p className="field-error">{form.errors.fields.role}</p>}
          </div>
        ) : (
          <input type="hidden" name="role" value="user" />
        )}
        <fieldset>
          <legend>How will they get in?</legend>
          <label className="choice">
            <input type="radio" name="access" checked={invite} onChange={() => setInvite(true)} />
            Email them an invitation to choose a password
          </label>
          <label className="choice">
            <input type="radio" name="access" checked={!invite} onChange={() => setInvite(false)} />
            Set a password now
          </label>
        </fieldset>
        {!invite && (
          <Field
            label="Password"
            name="password"
            type="password"
            autoComplete="new-password"
            required
            error={form.errors.fields.password}
            hint={<NewAccountPasswordHint />}
          />
        )}
        <div className="actions">
          <Submit pending={form.pending} pendingLabel="Creating…">
            {invite ? 'Create and invite' : 'Create user'}
          </Submit>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
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
  const form = useForm([]);
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const remove = useMutation(trpc.users.delete.mutationOptions({ onSuccess: invalidate }));
  const onSubmit = form.submit(async () => {
    await remove.mutateAsync({ id: user.id });
    onDeleted(`${user.name} (${user.email}) has been deleted.`);
  });
  return (
    <Dialog title="Delete user?" onClose={onClose}>
      <form ref={form.ref} onSubmit={onSubmit} className="stack">
        <FormAlert message={form.errors.form} />
        <p>
          <strong>{user.name}</strong> ({user.email}) will be signed out everywhere and their account removed.
          This cannot be undone.
        </p>
        <div className="actions">
          <Submit pending={form.pending} tone="danger" pendingLabel="Deleting…">
            Delete user
          </Submit>
          <button type="button" className="button button-secondary" onClick={onClose} autoFocus>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
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
  const form = useForm([]);
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const reset = useMutation(trpc.users.resetMfa.mutationOptions({ onSuccess: invalidate }));
  const onSubmit = form.submit(async () => {
    await reset.mutateAsync({ id: user.id });
    onReset(`${user.name}’s second factors have been reset. They can sign in with their password alone.`);
  });
  return (
    <Dialog title="Reset second factors?" onClose={onClose}>
      <form ref={form.ref} onSubmit={onSubmit} className="stack">
        <FormAlert message={form.errors.form} />
        <p>
          <strong>{user.name}</strong> ({user.email}) loses their authenticator app, recovery codes and every
          passkey. Until they set up a new one, their password alone signs them in. We email them to say so.
        </p>
        <p className="muted">Do this only once you are sure the request comes from them.</p>
        <div className="actions">
          <Submit pending={form.pending} tone="danger" pendingLabel="Resetting…">
            Reset second factors
          </Submit>
          <button type="button" className="button button-secondary" onClick={onClose} autoFocus>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function NewAccountPasswordHint() {
  const min = useSettings().data?.passwordMinLength;
  return (
    <>{min ? `At least ${min} characters. ` : ''}Share it safely; they can change it from their profile.</>
  );
}
