import type { RouterOutputs } from '@tessera/client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@tessera/react';
import { useState } from 'react';
import { Field, FormAlert, FormProblem, text, useForm } from '../forms.js';
import { Empty, Pending, Submit, When } from '../ui.js';
import { useSecondFactorsChanged } from './refresh.js';
import { createPasskey, passkeyErrorMessage, passkeysSupported } from './webauthn.js';

type Passkey = RouterOutputs['passkeys']['list'][number];

/** Makes a passkey on this device (the browser asks the person to confirm) and registers it. */
export function AddPasskey({ onAdded }: { onAdded?: (passkey: Passkey) => void }) {
  const trpc = useTRPC();
  const changed = useSecondFactorsChanged();
  const options = useMutation(trpc.passkeys.registrationOptions.mutationOptions());
  const register = useMutation(trpc.passkeys.register.mutationOptions());
  const form = useForm(['name']);

  const onSubmit = form.submit(async (data) => {
    const name = text(data, 'name').trim();
    let response;
    try {
      response = await createPasskey(await options.mutateAsync({}));
    } catch (error) {
      throw new FormProblem({ fields: {}, form: passkeyErrorMessage(error) });
    }
    const passkey = await register.mutateAsync({ response, ...(name ? { name } : {}) });
    form.element?.reset();
    onAdded?.(passkey);
    await changed();
  });

  if (!passkeysSupported())
    return <p className="muted">This browser cannot make passkeys. Try a current browser on this device.</p>;
  return (
    <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
      <FormAlert message={form.errors.form} />
      <Field
        label="Name for the new passkey (optional)"
        name="name"
        autoComplete="off"
        placeholder="Work laptop"
        error={form.errors.fields.name}
      />
      <div className="actions">
        <Submit pending={form.pending} pendingLabel="Waiting for your device…">
          Add a passkey
        </Submit>
      </div>
    </form>
  );
}

/** My passkeys: name, when made and last used; rename, delete after confirming. */
export function PasskeyList() {
  const trpc = useTRPC();
  const list = useQuery(trpc.passkeys.list.queryOptions());
  if (!list.data) return <Pending query={list} label="Loading passkeys…" />;
  if (list.data.length === 0)
    return <Empty title="No passkeys yet">A passkey signs you in with your fingerprint, face or PIN.</Empty>;
  return (
    <ul className="device-list" aria-label="Passkeys">
      {list.data.map((passkey) => (
        <PasskeyRow key={passkey.id} passkey={passkey} />
      ))}
    </ul>
  );
}

function PasskeyRow({ passkey }: { passkey: Passkey }) {
  const [mode, setMode] = useState<'view' | 'rename' | 'delete'>('view');
  return (
    <li className="device">
      {mode === 'rename' ? (
        <RenameForm passkey={passkey} onClose={() => setMode('view')} />
      ) : (
        <div>
          <p className="device-name">
            {passkey.name}
            {passkey.backedUp && <span className="badge badge-current">Synced</span>}
          </p>
          <p className="muted small">
            Added <When iso={passkey.createdAt} /> · last used <When iso={passkey.lastUsedAt} empty="never" />
          </p>
          {mode === 'delete' && <DeleteConfirm passkey={passkey} onClose={() => setMode('view')} />}
        </div>
      )}
      {mode === 'view' && (
        <div className="cell-actions">
          <button
            type="button"
            className="button button-secondary button-small"
            aria-label={`Rename ${passkey.name}`}
            onClick={() => setMode('rename')}
          >
            Rename
          </button>
          <button
            type="button"
            className="button button-danger-outline button-small"
            aria-label={`Delete ${passkey.name}`}
            onClick={() => setMode('delete')}
          >
            Delete
          </button>
        </div>
      )}
    </li>
  );
}

function RenameForm({ passkey, onClose }: { passkey: Passkey; onClose: () => void }) {
  const trpc = useTRPC();
  const changed = useSecondFactorsChanged();
  const rename = useMutation(trpc.passkeys.rename.mutationOptions());
  const form = useForm(['name']);
  const onSubmit = form.submit(async (data) => {
    await rename.mutateAsync({ id: passkey.id, name: text(data, 'name') });
    await changed();
    onClose();
  });
  return (
    <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
      <FormAlert message={form.errors.form} />
      <Field
        label="New name"
        name="name"
        autoComplete="off"
        required
        autoFocus
        defaultValue={passkey.name}
        error={form.errors.fields.name}
      />
      <div className="actions">
        <Submit pending={form.pending} pendingLabel="Saving…">
          Save name
        </Submit>
        <button type="button" className="button button-secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function DeleteConfirm({ passkey, onClose }: { passkey: Passkey; onClose: () => void }) {
  const trpc = useTRPC();
  const changed = useSecondFactorsChanged();
  const remove = useMutation(trpc.passkeys.delete.mutationOptions());
  const form = useForm([]);
  const onSubmit = form.submit(async () => {
    await remove.mutateAsync({ id: passkey.id });
    await changed();
  });
  return (
    <form ref={form.ref} onSubmit={onSubmit} className="stack" aria-label={`Delete ${passkey.name}?`}>
      <FormAlert message={form.errors.form} />
      <p role="status">
        “{passkey.name}” will no longer sign you in. Delete the passkey from the device too, in its settings.
      </p>
      <div className="actions">
        <Submit pending={form.pending} tone="danger" pendingLabel="Deleting…">
          Delete passkey
        </Submit>
        <button type="button" className="button button-secondary" onClick={onClose} autoFocus>
          Cancel
        </button>
      </div>
    </form>
  );
}
