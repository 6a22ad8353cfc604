import { can, webhookEvents, type RouterOutputs, type WebhookEventType } from '@tessera/client';
import { Trans, useTranslation } from 'react-i18next';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, useUser } from '@tessera/react';
import { useId, useState } from 'react';
import { errorMessage, type FormErrors } from '../errors.js';
import { Field, FormAlert, text, useForm } from '../forms.js';
import { formatLocale, i18n } from '../i18n/index.js';
import { Dialog, Empty, FormActions, Notice, OneTimeSecret, Pending, useDocumentTitle, When } from '../ui.js';
import { ConfirmDialog } from '../confirm-dialog.js';

type Webhook = RouterOutputs['webhooks']['list'][number];
type Delivery = RouterOutputs['webhooks']['deliveries']['items'][number];

const DELIVERY_PAGE = 20;
// While a delivery is still pending the log looks again this often, so its outcome shows up.
const PENDING_POLL_MS = 2_000;

export function WebhooksPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('nav.webhooks'));
  const me = useUser();
  const trpc = useTRPC();
  const allowed = Boolean(me && can(me, 'webhooks.manage'));
  const endpoints = useQuery({ ...trpc.webhooks.list.queryOptions(), enabled: allowed });
  const [message, setMessage] = useState<string>();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Webhook>();
  const [deleting, setDeleting] = useState<Webhook>();

  if (!me || !allowed) {
    return (
      <main className="page" id="main">
        <h1>{t('nav.webhooks')}</h1>
        <p className="muted">{t('webhooks.adminsOnly')}</p>
      </main>
    );
  }

  const done = (note: string) => {
    setEditing(undefined);
    setDeleting(undefined);
    setMessage(note);
  };

  return (
    <main className="page" id="main">
      <header className="page-header">
        <div>
          <h1>{t('nav.webhooks')}</h1>
          <p className="muted">{t('webhooks.intro')}</p>
        </div>
        <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
          {t('webhooks.add')}
        </button>
      </header>

      <div aria-live="polite">{message && <Notice tone="success">{message}</Notice>}</div>

      {!endpoints.data ? (
        <div className="table-wrap">
          <Pending query={endpoints} label={t('webhooks.loading')} />
        </div>
      ) : endpoints.data.length === 0 ? (
        <div className="table-wrap">
          <Empty title={t('webhooks.none')}>{t('webhooks.noneText')}</Empty>
        </div>
      ) : (
        <ul className="endpoint-list">
          {endpoints.data.map((webhook) => (
            <Endpoint
              key={webhook.id}
              webhook={webhook}
              onChanged={setMessage}
              onEdit={() => setEditing(webhook)}
              onDelete={() => setDeleting(webhook)}
            />
          ))}
        </ul>
      )}

      {creating && <CreateEndpointDialog onClose={() => setCreating(false)} />}
      {editing && (
        <EditEndpointDialog webhook={editing} onClose={() => setEditing(undefined)} onSaved={done} />
      )}
      {deleting && (
        <DeleteEndpointDialog webhook={deleting} onClose={() => setDeleting(undefined)} onDeleted={done} />
      )}
    </main>
  );
}

/** After any change to an endpoint or a delivery, every cached webhooks.* answer is stale. */
function useInvalidateWebhooks() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries(trpc.webhooks.pathFilter());
}

function Endpoint({
  webhook,
  onChanged,
  onEdit,
  onDelete,
}: {
  webhook: Webhook;
  onChanged: (message: string) => void;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const { t } = useTranslation();
  const trpc = useTRPC();
  const invalidate = useInvalidateWebhooks();
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSettled: invalidate }));
  const [showLog, setShowLog] = useState(false);
  const [error, setError] = useState<string>();
  const logId = useId();

  const toggle = async () => {
    setError(undefined);
    try {
      await update.mutateAsync({ id: webhook.id, enabled: !webhook.enabled });
      onChanged(
        webhook.enabled
          ? t('webhooks.disabledNote', { url: webhook.url })
          : t('webhooks.enabledNote', { url: webhook.url }),
      );
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  return (
    <li className="card endpoint">
      <div className="card-header">
        <h2 className="mono endpoint-url">{webhook.url}</h2>
        <span className={`badge ${webhook.enabled ? 'badge-active' : 'badge-disabled'}`}>
          {webhook.enabled ? t('common.enabled') : t('common.disabled')}
        </span>
      </div>
      {webhook.description && <p>{webhook.description}</p>}
      <p className="small">
        <span className="muted">{t('webhooks.eventsLabel')} </span>
        {webhook.events.map((event, i) => (
          <span key={event}>
            {i > 0 && ', '}
            <EventName event={event} />
          </span>
        ))}
      </p>
      <p className="small muted">
        <Trans i18nKey="webhooks.added" components={{ when: <When iso={webhook.createdAt} /> }} />
      </p>
      <div className="actions">
        <button
          type="button"
          className="button button-secondary button-small"
          aria-expanded={showLog}
          aria-controls={logId}
          onClick={() => setShowLog((shown) => !shown)}
        >
          {showLog ? t('webhooks.hideDeliveries') : t('webhooks.deliveries')}
        </button>
        <button
          type="button"
          className="button button-secondary button-small"
          disabled={update.isPending}
          aria-label={t(webhook.enabled ? 'webhooks.disableLabel' : 'webhooks.enableLabel', {
            url: webhook.url,
          })}
          onClick={() => void toggle()}
        >
          {update.isPending ? t('common.saving') : webhook.enabled ? t('common.disable') : t('common.enable')}
        </button>
        <button
          type="button"
          className="button button-secondary button-small"
          aria-label={t('webhooks.editLabel', { url: webhook.url })}
          onClick={onEdit}
        >
          {t('webhooks.edit')}
        </button>
        <button
          type="button"
          className="button button-danger-outline button-small"
          aria-label={t('webhooks.deleteLabel', { url: webhook.url })}
          onClick={onDelete}
        >
          {t('common.delete')}
        </button>
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div id={logId}>{showLog && <DeliveryLog webhook={webhook} />}</div>
    </li>
  );
}

/** An endpoint's deliveries, newest first, a page at a time, each with a way to send it again. */
function DeliveryLog({ webhook }: { webhook: Webhook }) {
  const { t } = useTranslation();
  const trpc = useTRPC();
  const invalidate = useInvalidateWebhooks();
  const deliveries = useInfiniteQuery(
    trpc.webhooks.deliveries.infiniteQueryOptions(
      { id: webhook.id, limit: DELIVERY_PAGE },
      {
        getNextPageParam: (page) => page.nextCursor,
        refetchInterval: (query) =>
          query.state.data?.pages.some((page) => page.items.some((d) => d.status === 'pending'))
            ? PENDING_POLL_MS
            : false,
      },
    ),
  );
  const redeliver = useMutation(trpc.webhooks.redeliver.mutationOptions({ onSettled: invalidate }));
  const [note, setNote] = useState<{ tone: 'success' | 'error'; text: string }>();
  const items = deliveries.data?.pages.flatMap((page) => page.items) ?? [];

  const send = async (delivery: Delivery) => {
    setNote(undefined);
    try {
      await redeliver.mutateAsync({ deliveryId: delivery.id });
      setNote({ tone: 'success', text: t('webhooks.requeued', { event: eventLabel(delivery.event) }) });
    } catch (failure) {
      setNote({ tone: 'error', text: errorMessage(failure) });
    }
  };

  return (
    <section className="delivery-log" aria-label={t('webhooks.deliveriesTo', { url: webhook.url })}>
      <div aria-live="polite">{note?.tone === 'success' && <Notice tone="success">{note.text}</Notice>}</div>
      {note?.tone === 'error' && (
        <p className="field-error" role="alert">
          {note.text}
        </p>
      )}
      <div className="table-wrap">
        {!deliveries.data ? (
          <Pending query={deliveries} label={t('webhooks.loadingDeliveries')} />
        ) : items.length === 0 ? (
          <Empty title={t('webhooks.nothingSent')}>{t('webhooks.nothingSentText')}</Empty>
        ) : (
          <table aria-busy={deliveries.isFetching || undefined}>
            <thead>
              <tr>
                <th scope="col">{t('common.when')}</th>
                <th scope="col">{t('webhooks.event')}</th>
                <th scope="col">{t('common.status')}</th>
                <th scope="col">{t('webhooks.code')}</th>
                <th scope="col">{t('webhooks.attempts')}</th>
                <th scope="col">{t('webhooks.error')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('common.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((delivery) => (
                <tr key={delivery.id}>
                  <td data-label={t('common.when')}>
                    <When iso={delivery.createdAt} />
                  </td>
                  <td data-label={t('webhooks.event')}>
                    <EventName event={delivery.event} />
                  </td>
                  <td data-label={t('common.status')}>
                    <DeliveryStatus delivery={delivery} />
                  </td>
                  <td data-label={t('webhooks.code')}>
                    <span className="mono">{delivery.lastStatusCode ?? '—'}</span>
                  </td>
                  <td data-label={t('webhooks.attempts')}>
                    {t('common.number', { value: delivery.attempts })}
                  </td>
                  <td data-label={t('webhooks.error')} className="small">
                    {delivery.lastError ?? <span className="muted">—</span>}
                  </td>
                  <td data-label={t('common.actions')}>
                    <div className="cell-actions">
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        disabled={redeliver.isPending}
                        aria-label={t('webhooks.redeliverLabel', {
                          event: eventLabel(delivery.event),
                          when: new Date(delivery.createdAt).toLocaleString(formatLocale()),
                        })}
                        onClick={() => void send(delivery)}
                      >
                        {redeliver.isPending && redeliver.variables.deliveryId === delivery.id
                          ? t('forgot.pending')
                          : t('webhooks.redeliver')}
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {(deliveries.hasNextPage || deliveries.isFetchNextPageError) && (
          <div className="pager">
            {deliveries.isFetchNextPageError ? (
              <span className="field-error">{errorMessage(deliveries.error)}</span>
            ) : (
              <span />
            )}
            <button
              type="button"
              className="button button-secondary button-small"
              disabled={deliveries.isFetchingNextPage}
              onClick={() => void deliveries.fetchNextPage()}
            >
              {deliveries.isFetchingNextPage ? t('common.loading') : t('common.loadMore')}
            </button>
          </div>
        )}
      </div>
    </section>
  );
}

const STATUS_BADGE: Record<Delivery['status'], string> = {
  delivered: 'badge-active',
  pending: 'badge-manager',
  failed: 'badge-disabled',
};

function DeliveryStatus({ delivery }: { delivery: Delivery }) {
  const { t } = useTranslation();
  return (
    <div>
      <span className={`badge ${STATUS_BADGE[delivery.status]}`}>
        {t(`webhooks.status.${delivery.status}`)}
      </span>
      {delivery.deliveredAt && (
        <span className="status-note">
          <When iso={delivery.deliveredAt} />
        </span>
      )}
    </div>
  );
}

/** An event in words ("User created"); the catalogue has every one of the server's list. */
function eventLabel(event: string): string {
  return i18n.t(`webhooks.events.${event}`, { defaultValue: event });
}

/** An event's words, with its id (what a receiver sees in `type`) beside them. */
function EventName({ event }: { event: string }) {
  return (
    <span>
      {eventLabel(event)} <span className="mono muted">({event})</span>
    </span>
  );
}

/** The events an endpoint is subscribed to, one checkbox each, from the server's own list. */
function EventChoices({
  chosen,
  error,
}: {
  chosen: readonly WebhookEventType[];
  error?: string | undefined;
}) {
  const { t } = useTranslation();
  const errorId = useId();
  return (
    <fieldset aria-describedby={error ? errorId : undefined}>
      <legend>{t('webhooks.eventsLegend')}</legend>
      <div className="event-choices">
        {webhookEvents.map((event, i) => (
          <label key={event} className="choice">
            <input
              type="checkbox"
              name="events"
              value={event}
              defaultChecked={chosen.includes(event)}
              // The first box takes the focus when the choice is refused.
              aria-invalid={error && i === 0 ? true : undefined}
            />
            <EventName event={event} />
          </label>
        ))}
      </div>
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
    </fieldset>
  );
}

/** The URL and events of the endpoint form, as the server expects them. */
function endpointFields(data: FormData) {
  return {
    url: text(data, 'url').trim(),
    events: data.getAll('events').filter((value): value is WebhookEventType => typeof value === 'string'),
  };
}

function UrlField({ errors, defaultValue }: { errors: FormErrors; defaultValue?: string }) {
  const { t } = useTranslation();
  return (
    <Field
      label="URL"
      name="url"
      type="url"
      inputMode="url"
      autoComplete="off"
      spellCheck={false}
      required
      autoFocus
      defaultValue={defaultValue}
      placeholder="https://service.example/hooks/tessera"
      hint={t('webhooks.urlHint')}
      error={errors.fields.url}
    />
  );
}

/** Asks for the URL and events; then shows the signing secret, this once. */
function CreateEndpointDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const form = useForm(['url', 'events', 'description']);
  const trpc = useTRPC();
  const invalidate = useInvalidateWebhooks();
  const create = useMutation(trpc.webhooks.create.mutationOptions({ onSuccess: invalidate }));
  // Held only while this dialog is open: closing it forgets the secret for good.
  const [created, setCreated] = useState<RouterOutputs['webhooks']['create']>();

  const onSubmit = form.submit(async (data) => {
    const description = text(data, 'description').trim();
    setCreated(
      await create.mutateAsync({ ...endpointFields(data), ...(description ? { description } : {}) }),
    );
  });

  if (created)
    return (
      <Dialog title={t('webhooks.addedTitle')} onClose={onClose}>
        <div className="stack">
          <p>
            <Trans
              i18nKey="webhooks.addedText"
              values={{
                url: created.webhook.url,
                header: 'webhook-signature',
                verify: 'verifyWebhook',
                pkg: '@tessera/client',
              }}
              components={{ mono: <span className="mono" /> }}
            />
          </p>
          <OneTimeSecret
            label={t('webhooks.secretLabel')}
            secret={created.secret}
            warning={t('webhooks.secretWarning')}
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
    <Dialog title={t('webhooks.addTitle')} onClose={onClose}>
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <UrlField errors={form.errors} />
        <Field
          label={t('webhooks.description')}
          name="description"
          autoComplete="off"
          error={form.errors.fields.description}
        />
        <EventChoices chosen={[]} error={form.errors.fields.events} />
        <FormActions pending={form.pending} pendingLabel={t('webhooks.adding')} onCancel={onClose}>
          {t('webhooks.add')}
        </FormActions>
      </form>
    </Dialog>
  );
}

function EditEndpointDialog({
  webhook,
  onClose,
  onSaved,
}: {
  webhook: Webhook;
  onClose: () => void;
  onSaved: (message: string) => void;
}) {
  const { t } = useTranslation();
  const form = useForm(['url', 'events']);
  const trpc = useTRPC();
  const invalidate = useInvalidateWebhooks();
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: invalidate }));
  const onSubmit = form.submit(async (data) => {
    const saved = await update.mutateAsync({ id: webhook.id, ...endpointFields(data) });
    onSaved(t('webhooks.saved', { url: saved.url }));
  });
  return (
    <Dialog title={t('webhooks.editTitle')} onClose={onClose}>
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <UrlField errors={form.errors} defaultValue={webhook.url} />
        <EventChoices chosen={webhook.events} error={form.errors.fields.events} />
        <FormActions pending={form.pending} pendingLabel={t('common.saving')} onCancel={onClose}>
          {t('webhooks.save')}
        </FormActions>
      </form>
    </Dialog>
  );
}

function DeleteEndpointDialog({
  webhook,
  onClose,
  onDeleted,
}: {
  webhook: Webhook;
  onClose: () => void;
  onDeleted: (message: string) => void;
}) {
  const { t } = useTranslation();
  const trpc = useTRPC();
  const invalidate = useInvalidateWebhooks();
  const remove = useMutation(trpc.webhooks.delete.mutationOptions({ onSuccess: invalidate }));
  return (
    <ConfirmDialog
      title={t('webhooks.deleteTitle')}
      confirmLabel={t('webhooks.deleteSubmit')}
      pendingLabel={t('common.deleting')}
      onClose={onClose}
      onConfirm={async () => {
        await remove.mutateAsync({ id: webhook.id });
        onDeleted(t('webhooks.deleted', { url: webhook.url }));
      }}
    >
      <p>
        <Trans
          i18nKey="webhooks.deleteWarning"
          values={{ url: webhook.url }}
          components={{ mono: <span className="mono" /> }}
        />
      </p>
    </ConfirmDialog>
  );
}
