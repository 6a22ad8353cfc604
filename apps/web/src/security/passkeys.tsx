import type { RouterOutputs } from '@tessera/client';
import { Trans, useTranslation } from 'react-i18next';
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
  const { t } = useTranslation();
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

  if (!passkeysSupported()) return <p className="muted">{t('passkeys.unsupported')}</p>;
  return (
    <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
      <FormAlert message={form.errors.form} />
      <Field
        label={t('passkeys.nameLabel')}
        name="name"
        autoComplete="off"
        placeholder={t('passkeys.namePlaceholder')}
        error={form.errors.fields.name}
      />
      <div className="actions">
        <Submit pending={form.pending} pendingLabel={t('passkeys.waitingDevice')}>
          {t('passkeys.add')}
        </Submit>
      </div>
    </form>
  );
}

/** My passkeys: name, when made and last used; rename, delete after confirming. */
export function PasskeyList() {
  const { t } = useTranslation();
  const trpc = useTRPC();
  const list = useQuery(trpc.passkeys.list.queryOptions());
  if (!list.data) return <Pending query={list} label={t('passkeys.loading')} />;
  if (list.data.length === 0) return <Empty title={t('passkeys.none')}>{t('passkeys.noneText')}</Empty>;
  return (
    <ul className="device-list" aria-label={t('passkeys.heading')}>
      {list.data.map((passkey) => (
        <PasskeyRow key={passkey.id} passkey={passkey} />
      ))}
    </ul>
  );
}

function PasskeyRow({ passkey }: { passkey: Passkey }) {
  const { t } = useTranslation();
  const [mode, setMode] = useState<'view' | 'rename' | 'delete'>('view');
  return (
    <li className="device">
      {mode === 'rename' ? (
        <RenameForm passkey={passkey} onClose={() => setMode('view')} />
      ) : (
        <div>
          <p className="device-name">
            {passkey.name}
            {passkey.backedUp && <span className="badge badge-current">{t('passkeys.synced')}</span>}
          </p>
          <p className="muted small">
            <Trans
              i18nKey="passkeys.details"
              components={{
                added: <When iso={passkey.createdAt} />,
                lastUsed: <When iso={passkey.lastUsedAt} empty={t('passkeys.neverUsed')} />,
              }}
            />
          </p>
          {mode === 'delete' && <DeleteConfirm passkey={passkey} onClose={() => setMode('view')} />}
        </div>
      )}
      {mode === 'view' && (
        <div className="cell-actions">
          <button
            type="button"
            className="button button-secondary button-small"
            aria-label={t('passkeys.renameLabel', { name: passkey.name })}
            onClick={() => setMode('rename')}
          >
            {t('passkeys.rename')}
          </button>
          <button
            type="button"
            className="button button-danger-outline button-small"
            aria-label={t('passkeys.deleteLabel', { name: passkey.name })}
            onClick={() => setMode('delete')}
          >
            {t('common.delete')}
          </button>
        </div>
      )}
    </li>
  );
}

function RenameForm({ passkey, onClose }: { passkey: Passkey; onClose: () => void }) {
  const { t } = useTranslation();
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
        label={t('passkeys.newName')}
        name="name"
        autoComplete="off"
        required
        autoFocus
        defaultValue={passkey.name}
        error={form.errors.fields.name}
      />
      <div className="actions">
        <Submit pending={form.pending} pendingLabel={t('common.saving')}>
          {t('passkeys.saveName')}
        </Submit>
        <button type="button" className="button button-secondary" onClick={onClose}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

function DeleteConfirm({ passkey, onClose }: { passkey: Passkey; onClose: () => void }) {
  const { t } = useTranslation();
  const trpc = useTRPC();
  const changed = useSecondFactorsChanged();
  const remove = useMutation(trpc.passkeys.delete.mutationOptions());
  const form = useForm([]);
  const onSubmit = form.submit(async () => {
    await remove.mutateAsync({ id: passkey.id });
    await changed();
  });
  return (
    <form
      ref={form.ref}
      onSubmit={onSubmit}
      className="stack"
      aria-label={t('passkeys.deleteQuestion', { name: passkey.name })}
    >
      <FormAlert message={form.errors.form} />
      <p role="status">{t('passkeys.deleteWarning', { name: passkey.name })}</p>
      <div className="actions">
        <Submit pending={form.pending} tone="danger" pendingLabel={t('common.deleting')}>
          {t('passkeys.delete')}
        </Submit>
        <button type="button" className="button button-secondary" onClick={onClose} autoFocus>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
