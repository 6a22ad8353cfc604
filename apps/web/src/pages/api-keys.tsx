import { can, roles, type Role, type RouterOutputs } from '@tessera/client';
import { Trans, useTranslation } from 'react-i18next';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, useUser } from '@tessera/react';
import { useState } from 'react';
import { Field, FormAlert, FormProblem, text, useForm } from '../forms.js';
import { i18n } from '../i18n/index.js';
import { Dialog, Empty, FormActions, Notice, OneTimeSecret, Pending, useDocumentTitle, When } from '../ui.js';
import { ConfirmDialog } from '../confirm-dialog.js';

type ApiKey = RouterOutputs['apiKeys']['list'][number];

export function ApiKeysPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('nav.apiKeys'));
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
        <h1>{t('nav.apiKeys')}</h1>
        <p className="muted">{t('apiKeys.adminsOnly')}</p>
      </main>
    );
  }

  return (
    <main className="page" id="main">
      <header className="page-header">
        <div>
          <h1>{t('nav.apiKeys')}</h1>
          <p className="muted">
            <Trans
              i18nKey="apiKeys.intro"
              values={{ header: 'Authorization: Bearer tsk_…' }}
              components={{ mono: <span className="mono" /> }}
            />
          </p>
        </div>
        <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
          {t('apiKeys.create')}
        </button>
      </header>

      <div aria-live="polite">{message && <Notice tone="success">{message}</Notice>}</div>

      <div className="table-wrap">
        {!keys.data ? (
          <Pending query={keys} label={t('apiKeys.loading')} />
        ) : keys.data.length === 0 ? (
          <Empty title={t('apiKeys.none')}>{t('apiKeys.noneText')}</Empty>
        ) : (
          <table aria-busy={keys.isFetching || undefined}>
            <thead>
              <tr>
                <th scope="col">{t('common.name')}</th>
                <th scope="col">{t('apiKeys.prefix')}</th>
                <th scope="col">{t('common.role')}</th>
                <th scope="col">{t('common.created')}</th>
                <th scope="col">{t('apiKeys.expires')}</th>
                <th scope="col">{t('apiKeys.lastUsed')}</th>
                <th scope="col">{t('common.status')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('common.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((key) => (
                <tr key={key.id}>
                  <td data-label={t('common.name')} className="cell-user">
                    <span className="name">{key.name}</span>
                  </td>
                  <td data-label={t('apiKeys.prefix')}>
                    <span className="mono">{key.prefix}…</span>
                  </td>
                  <td data-label={t('common.role')}>
                    <span className={`badge badge-${key.role}`}>{t(`roles.${key.role}`)}</span>
                  </td>
                  <td data-label={t('common.created')}>
                    <When iso={key.createdAt} />
                  </td>
                  <td data-label={t('apiKeys.expires')}>
                    <When iso={key.expiresAt} empty={t('common.never')} />
                  </td>
                  <td data-label={t('apiKeys.lastUsed')}>
                    <When iso={key.lastUsedAt} empty={t('common.never')} />
                  </td>
                  <td data-label={t('common.status')}>
                    <KeyStatus apiKey={key} />
                  </td>
                  <td data-label={t('common.actions')}>
                    <div className="cell-actions">
                      {!key.revokedAt && (
                        <button
                          type="button"
                          className="button button-danger-outline button-small"
                          aria-label={t('apiKeys.revokeLabel', { name: key.name })}
                          onClick={() => setRevoking(key)}
                        >
                          {t('apiKeys.revoke')}
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
  const { t } = useTranslation();
  if (apiKey.revokedAt)
    return (
      <div>
        <span className="badge badge-disabled">{t('apiKeys.revoked')}</span>
        <span className="status-note">
          <When iso={apiKey.revokedAt} />
        </span>
      </div>
    );
  // The list is as fresh as its last load; the server decides expiry on every request anyway.
  if (apiKey.expiresAt && new Date(apiKey.expiresAt) <= new Date())
    return <span className="badge badge-disabled">{t('apiKeys.expired')}</span>;
  return <span className="badge badge-active">{t('apiKeys.active')}</span>;
}

/** After any change to a key, the cached list is stale. */
function useInvalidateKeys() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries(trpc.apiKeys.pathFilter());
}

/** Asks for the key's name, role and expiry; then shows its secret, this once. */
function CreateKeyDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
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
      <Dialog title={t('apiKeys.newTitle')} onClose={onClose}>
        <div className="stack">
          <p>
            <Trans
              i18nKey={created.apiKey.expiresAt ? 'apiKeys.actsAsUntil' : 'apiKeys.actsAsUntilRevoked'}
              values={{ name: created.apiKey.name, role: t(`roleNoun.${created.apiKey.role}`) }}
              components={{ strong: <strong />, until: <When iso={created.apiKey.expiresAt} /> }}
            />
          </p>
          <OneTimeSecret
            label={t('apiKeys.secretLabel')}
            secret={created.secret}
            warning={t('apiKeys.secretWarning')}
          />
          <div className="actions">
            <button type="button" className="button button-primary" onClick={onClose}>
              {t('common.iHaveCopied')}
            </button>
          </div>
        </div>
      </Dialog>
    );

  return (
    <Dialog title={t('apiKeys.create')} onClose={onClose}>
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <Field
          label={t('common.name')}
          name="name"
          autoComplete="off"
          required
          autoFocus
          hint={t('apiKeys.nameHint')}
          error={form.errors.fields.name}
        />
        <div className="field">
          <label htmlFor="key-role">{t('common.role')}</label>
          <select id="key-role" name="role" defaultValue="manager" aria-describedby="key-role-hint">
            {roles.map((role) => (
              <option key={role} value={role}>
                {t(`roles.${role}`)}
              </option>
            ))}
          </select>
          <p className="field-hint" id="key-role-hint">
            {t('apiKeys.roleHint')}
          </p>
          {form.errors.fields.role && <p className="field-error">{form.errors.fields.role}</p>}
        </div>
        <Field
          label={t('apiKeys.expiresOn')}
          name="expiresAt"
          type="date"
          min={today()}
          hint={t('apiKeys.expiresHint')}
          error={form.errors.fields.expiresAt}
        />
        <FormActions pending={form.pending} pendingLabel={t('common.creating')} onCancel={onClose}>
          {t('apiKeys.createSubmit')}
        </FormActions>
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
  const { t } = useTranslation();
  const trpc = useTRPC();
  const invalidate = useInvalidateKeys();
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSuccess: invalidate }));
  return (
    <ConfirmDialog
      title={t('apiKeys.revokeTitle')}
      confirmLabel={t('apiKeys.revokeSubmit')}
      pendingLabel={t('apiKeys.revoking')}
      onClose={onClose}
      onConfirm={async () => {
        await revoke.mutateAsync({ id: apiKey.id });
        onRevoked(t('apiKeys.revokedNote', { name: apiKey.name, prefix: apiKey.prefix }));
      }}
    >
      <p>
        <Trans
          i18nKey="apiKeys.revokeWarning"
          values={{ name: apiKey.name, prefix: apiKey.prefix }}
          components={{ strong: <strong />, mono: <span className="mono" /> }}
        />
      </p>
    </ConfirmDialog>
  );
}

/** The last moment of a picked day (`YYYY-MM-DD`), in the admin's time zone, as ISO 8601. */
function endOfDay(day: string): string {
  const end = new Date(`${day}T23:59:59.999`);
  if (Number.isNaN(end.getTime()))
    throw new FormProblem({ fields: { expiresAt: i18n.t('apiKeys.enterDate') } });
  return end.toISOString();
}

/** Today as `YYYY-MM-DD` in the admin's time zone (the earliest expiry a date input offers). */
function today(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}
