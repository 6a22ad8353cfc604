import { can, roles, type Role, type RouterOutputs } from '@tessera/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, useUser } from '@tessera/react';
import { useState } from 'react';
import { Field, FormAlert, FormProblem, text, useForm } from '../forms.js';
import {
  article,
  capitalise,
  Dialog,
  Empty,
  Notice,
  OneTimeSecret,
  Pending,
  Submit,
  When,
  useDocumentTitle,
} from '../ui.js';

type ApiKey = RouterOutputs['apiKeys']['list'][number];

export function ApiKeysPage() {
  useDocumentTitle('API keys');
  const me = useUser();
  const trpc = useTRPC();
  const allowed = Boolean(me && can(me, 'apiKeys.manage'));
  const keys = useQuery({ ...trpc.apiKeys.list.queryOptions(), enabled: allowed });
  const [message, setMessage] = useState<string>();
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey>();

  if (!me || !allowed) {
    return (
      <main className="page" id="main">
        <h1>API keys</h1>
        <p className="muted">Only admins can manage API keys.</p>
      </main>
    );
  }

  return (
    <main className="page" id="main">
      <header className="page-header">
        <div>
          <h1>API keys</h1>
          <p className="muted">
            Another service sends a key as <span className="mono">Authorization: Bearer tsk_…</span> and acts
            with the key’s role.
          </p>
        </div>
        <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
          Create API key
        </button>
      </header>

      <div aria-live="polite">{message && <Notice tone="success">{message}</Notice>}</div>

      <div className="table-wrap">
        {!keys.data ? (
          <Pending query={keys} label="Loading API keys…" />
        ) : keys.data.length === 0 ? (
          <Empty title="No API keys yet">Create one for each service that calls Tessera.</Empty>
        ) : (
          <table aria-busy={keys.isFetching || undefined}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((key) => (
                <tr key={key.id}>
                  <td data-label="Name" className="cell-user">
                    <span className="name">{key.name}</span>
                  </td>
                  <td data-label="Prefix">
                    <span className="mono">{key.prefix}…</span>
                  </td>
                  <td data-label="Role">
                    <span className={`badge badge-${key.role}`}>{key.role}</span>
                  </td>
                  <td data-label="Created">
                    <When iso={key.createdAt} />
                  </td>
                  <td data-label="Expires">
                    <When iso={key.expiresAt} empty="Never" />
                  </td>
                  <td data-label="Last used">
                    <When iso={key.lastUsedAt} empty="Never" />
                  </td>
                  <td data-label="Status">
                    <KeyStatus apiKey={key} />
                  </td>
                  <td data-label="Actions">
                    <div className="cell-actions">
                      {!key.revokedAt && (
                        <button
                          type="button"
                          className="button button-danger-outline button-small"
                          aria-label={`Revoke ${key.name}`}
                          onClick={() => setRevoking(key)}
                        >
                          Revoke
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>

      {creating && <CreateKeyDialog onClose={() => setCreating(false)} />}
      {revoking && (
        <RevokeKeyDialog
          apiKey={revoking}
          onClose={() => setRevoking(undefined)}
          onRevoked={(note) => {
            setRevoking(undefined);
            setMessage(note);
          }}
        />
      )}
    </main>
  );
}

function KeyStatus({ apiKey }: { apiKey: ApiKey }) {
  if (apiKey.revokedAt)
    return (
      <div>
        <span className="badge badge-disabled">Revoked</span>
        <span className="status-note">
          <When iso={apiKey.revokedAt} />
        </span>
      </div>
    );
  // The list is as fresh as its last load; the server decides expiry on every request anyway.
  if (apiKey.expiresAt && new Date(apiKey.expiresAt) <= new Date())
    return <span className="badge badge-disabled">Expired</span>;
  return <span className="badge badge-active">Active</span>;
}

/** After any change to a key, the cached list is stale. */
function useInvalidateKeys() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries(trpc.apiKeys.pathFilter());
}

/** Asks for the key's name, role and expiry; then shows its secret, this once. */
function CreateKeyDialog({ onClose }: { onClose: () => void }) {
  const form = useForm(['name', 'role', 'expiresAt']);
  const trpc = useTRPC();
  const invalidate = useInvalidateKeys();
  const create = useMutation(trpc.apiKeys.create.mutationOptions({ onSuccess: invalidate }));
  // Held only while this dialog is open: closing it forgets the secret for good.
  const [created, setCreated] = useState<RouterOutputs['apiKeys']['create']>();

  const onSubmit = form.submit(async (data) => {
    const expiresOn = text(data, 'expiresAt');
    setCreated(
      await create.mutateAsync({
        name: text(data, 'name'),
        role: text(data, 'role') as Role,
        ...(expiresOn ? { expiresAt: endOfDay(expiresOn) } : {}),
      }),
    );
  });

  if (created)
    return (
      <Dialog title="Your new API key" onClose={onClose}>
        <div className="stack">
          <p>
            <strong>{created.apiKey.name}</strong> acts as {article(created.apiKey.role)}{' '}
            {created.apiKey.role}
            {created.apiKey.expiresAt ? (
              <>
                {' '}
                until <When iso={created.apiKey.expiresAt} />
              </>
            ) : (
              ' until revoked'
            )}
            .
          </p>
          <OneTimeSecret
            label="API key"
            secret={created.secret}
            warning="Tessera keeps only a hash of it. If it is lost, revoke this key and create a new one."
          />
          <div className="actions">
            <button type="button" className="button button-primary" onClick={onClose}>
              I have copied it
            </button>
          </div>
        </div>
      </Dialog>
    );

  return (
    <Dialog title="Create API key" onClose={onClose}>
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <Field
          label="Name"
          name="name"
          autoComplete="off"
          required
          autoFocus
          hint="Which service uses it, e.g. “billing”."
          error={form.errors.fields.name}
        />
        <div className="field">
          <label htmlFor="key-role">Role</label>
          <select id="key-role" name="role" defaultValue="manager" aria-describedby="key-role-hint">
            {roles.map((role) => (
              <option key={role} value={role}>
                {capitalise(role)}
              </option>
            ))}
          </select>
          <p className="field-hint" id="key-role-hint">
            The key may do what a person with this role may do, except acting on its own account.
          </p>
          {form.errors.fields.role && <p className="field-error">{form.errors.fields.role}</p>}
        </div>
        <Field
          label="Expires on (optional)"
          name="expiresAt"
          type="date"
          min={today()}
          hint="The key stops working at the end of this day. Leave empty for a key that lasts until revoked."
          error={form.errors.fields.expiresAt}
        />
        <div className="actions">
          <Submit pending={form.pending} pendingLabel="Creating…">
            Create key
          </Submit>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function RevokeKeyDialog({
  apiKey,
  onClose,
  onRevoked,
}: {
  apiKey: ApiKey;
  onClose: () => void;
  onRevoked: (message: string) => void;
}) {
  const form = useForm([]);
  const trpc = useTRPC();
  const invalidate = useInvalidateKeys();
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSuccess: invalidate }));
  const onSubmit = form.submit(async () => {
    await revoke.mutateAsync({ id: apiKey.id });
    onRevoked(`${apiKey.name} (${apiKey.prefix}…) is revoked.`);
  });
  return (
    <Dialog title="Revoke API key?" onClose={onClose}>
      <form ref={form.ref} onSubmit={onSubmit} className="stack">
        <FormAlert message={form.errors.form} />
        <p>
          Services using <strong>{apiKey.name}</strong> (<span className="mono">{apiKey.prefix}…</span>) will
          be refused from their next request on. This cannot be undone: to let them in again, create a new
          key.
        </p>
        <div className="actions">
          <Submit pending={form.pending} tone="danger" pendingLabel="Revoking…">
            Revoke key
          </Submit>
          <button type="button" className="button button-secondary" onClick={onClose} autoFocus>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The last moment of a picked day (`YYYY-MM-DD`), in the admin's time zone, as ISO 8601. */
function endOfDay(day: string): string {
  const end = new Date(`${day}T23:59:59.999`);
  if (Number.isNaN(end.getTime())) throw new FormProblem({ fields: { expiresAt: 'Enter a date.' } });
  return end.toISOString();
}

/** Today as `YYYY-MM-DD` in the admin's time zone (the earliest expiry a date input offers). */
function today(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}
