import { can, webhookEvents, type RouterOutputs, type WebhookEventType } from '@tessera/client';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, useUser } from '@tessera/react';
import { useId, useState } from 'react';
import { errorMessage, type FormErrors } from '../errors.js';
import { Field, FormAlert, text, useForm } from '../forms.js';
import { Dialog, Empty, Notice, OneTimeSecret, Pending, Submit, When, useDocumentTitle } from '../ui.js';

type Webhook = RouterOutputs['webhooks']['list'][number];
type Delivery = RouterOutputs['webhooks']['deliveries']['items'][number];

const DELIVERY_PAGE = 20;
// While a delivery is still pending the log looks again this often, so its outcome shows up.
const PENDING_POLL_MS = 2_000;

export function WebhooksPage() {
  useDocumentTitle('Webhooks');
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
        <h1>Webhooks</h1>
        <p className="muted">Only admins can manage webhooks.</p>
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
          <h1>Webhooks</h1>
          <p className="muted">
            Tessera POSTs each event you choose to your endpoints, signed per Standard Webhooks, and retries
            failures with backoff.
          </p>
        </div>
        <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
          Add endpoint
        </button>
      </header>

      <div aria-live="polite">{message && <Notice tone="success">{message}</Notice>}</div>

      {!endpoints.data ? (
        <div className="table-wrap">
          <Pending query={endpoints} label="Loading webhooks…" />
        </div>
      ) : endpoints.data.length === 0 ? (
        <div className="table-wrap">
          <Empty title="No webhook endpoints yet">Add one to tell another service when users change.</Empty>
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
          ? `${webhook.url} is disabled: events that happen now are not sent to it.`
          : `${webhook.url} is enabled again.`,
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
          {webhook.enabled ? 'Enabled' : 'Disabled'}
        </span>
      </div>
      {webhook.description && <p>{webhook.description}</p>}
      <p className="small">
        <span className="muted">Events: </span>
        {webhook.events.map((event, i) => (
          <span key={event}>
            {i > 0 && ', '}
            <span className="mono">{event}</span>
          </span>
        ))}
      </p>
      <p className="small muted">
        Added <When iso={webhook.createdAt} />
      </p>
      <div className="actions">
        <button
          type="button"
          className="button button-secondary button-small"
          aria-expanded={showLog}
          aria-controls={logId}
          onClick={() => setShowLog((shown) => !shown)}
        >
          {showLog ? 'Hide deliveries' : 'Deliveries'}
        </button>
        <button
          type="button"
          className="button button-secondary button-small"
          disabled={update.isPending}
          aria-label={`${webhook.enabled ? 'Disable' : 'Enable'} ${webhook.url}`}
          onClick={() => void toggle()}
        >
          {update.isPending ? 'Saving…' : webhook.enabled ? 'Disable' : 'Enable'}
        </button>
        <button
          type="button"
          className="button button-secondary button-small"
          aria-label={`Edit ${webhook.url}`}
          onClick={onEdit}
        >
          Edit
        </button>
        <button
          type="button"
          className="button button-danger-outline button-small"
          aria-label={`Delete ${webhook.url}`}
          onClick={onDelete}
        >
          Delete
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
      setNote({ tone: 'success', text: `${delivery.event} is queued to be sent again.` });
    } catch (failure) {
      setNote({ tone: 'error', text: errorMessage(failure) });
    }
  };

  return (
    <section className="delivery-log" aria-label={`Deliveries to ${webhook.url}`}>
      <div aria-live="polite">{note?.tone === 'success' && <Notice tone="success">{note.text}</Notice>}</div>
      {note?.tone === 'error' && (
        <p className="field-error" role="alert">
          {note.text}
        </p>
      )}
      <div className="table-wrap">
        {!deliveries.data ? (
          <Pending query={deliveries} label="Loading deliveries…" />
        ) : items.length === 0 ? (
          <Empty title="Nothing sent yet">
            Deliveries appear here when one of the chosen events happens.
          </Empty>
        ) : (
          <table aria-busy={deliveries.isFetching || undefined}>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Code</th>
                <th scope="col">Attempts</th>
                <th scope="col">Error</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((delivery) => (
                <tr key={delivery.id}>
                  <td data-label="When">
                    <When iso={delivery.createdAt} />
                  </td>
                  <td data-label="Event">
                    <span className="mono">{delivery.event}</span>
                  </td>
                  <td data-label="Status">
                    <DeliveryStatus delivery={delivery} />
                  </td>
                  <td data-label="Code">
                    <span className="mono">{delivery.lastStatusCode ?? '—'}</span>
                  </td>
                  <td data-label="Attempts">{delivery.attempts}</td>
                  <td data-label="Error" className="small">
                    {delivery.lastError ?? <span className="muted">—</span>}
                  </td>
                  <td data-label="Actions">
                    <div className="cell-actions">
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        disabled={redeliver.isPending}
                        aria-label={`Redeliver ${delivery.event} of ${new Date(delivery.createdAt).toLocaleString()}`}
                        onClick={() => void send(delivery)}
                      >
                        {redeliver.isPending && redeliver.variables.deliveryId === delivery.id
                          ? 'Sending…'
                          : 'Redeliver'}
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
              {deliveries.isFetchingNextPage ? 'Loading…' : 'Load more'}
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
  return (
    <div>
      <span className={`badge ${STATUS_BADGE[delivery.status]}`}>{delivery.status}</span>
      {delivery.deliveredAt && (
        <span className="status-note">
          <When iso={delivery.deliveredAt} />
        </span>
      )}
    </div>
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
  const errorId = useId();
  return (
    <fieldset aria-describedby={error ? errorId : undefined}>
      <legend>Events</legend>
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
            <span className="mono">{event}</span>
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
      hint="Tessera POSTs JSON here. A 2xx answer within 10 s counts as delivered; redirects are not followed."
      error={errors.fields.url}
    />
  );
}

/** Asks for the URL and events; then shows the signing secret, this once. */
function CreateEndpointDialog({ onClose }: { onClose: () => void }) {
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
      <Dialog title="Endpoint added" onClose={onClose}>
        <div className="stack">
          <p>
            Events now go to <span className="mono">{created.webhook.url}</span>. Check each request’s{' '}
            <span className="mono">webhook-signature</span> with this secret (
            <span className="mono">verifyWebhook</span> in <span className="mono">@tessera/client</span>, or
            any Standard Webhooks library).
          </p>
          <OneTimeSecret
            label="Signing secret"
            secret={created.secret}
            warning="Tessera can't show it again. If it is lost, delete this endpoint and add it again."
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
    <Dialog title="Add webhook endpoint" onClose={onClose}>
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <UrlField errors={form.errors} />
        <Field
          label="Description (optional)"
          name="description"
          autoComplete="off"
          error={form.errors.fields.description}
        />
        <EventChoices chosen={[]} error={form.errors.fields.events} />
        <div className="actions">
          <Submit pending={form.pending} pendingLabel="Adding…">
            Add endpoint
          </Submit>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
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
  const form = useForm(['url', 'events']);
  const trpc = useTRPC();
  const invalidate = useInvalidateWebhooks();
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: invalidate }));
  const onSubmit = form.submit(async (data) => {
    const saved = await update.mutateAsync({ id: webhook.id, ...endpointFields(data) });
    onSaved(`${saved.url} is saved.`);
  });
  return (
    <Dialog title="Edit webhook endpoint" onClose={onClose}>
      <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
        <FormAlert message={form.errors.form} />
        <UrlField errors={form.errors} defaultValue={webhook.url} />
        <EventChoices chosen={webhook.events} error={form.errors.fields.events} />
        <div className="actions">
          <Submit pending={form.pending} pendingLabel="Saving…">
            Save
          </Submit>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
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
  const form = useForm([]);
  const trpc = useTRPC();
  const invalidate = useInvalidateWebhooks();
  const remove = useMutation(trpc.webhooks.delete.mutationOptions({ onSuccess: invalidate }));
  const onSubmit = form.submit(async () => {
    await remove.mutateAsync({ id: webhook.id });
    onDeleted(`${webhook.url} is deleted.`);
  });
  return (
    <Dialog title="Delete webhook endpoint?" onClose={onClose}>
      <form ref={form.ref} onSubmit={onSubmit} className="stack">
        <FormAlert message={form.errors.form} />
        <p>
          Events will no longer be sent to <span className="mono">{webhook.url}</span>. Its delivery log goes
          with it, and deliveries not yet sent are dropped. This cannot be undone.
        </p>
        <div className="actions">
          <Submit pending={form.pending} tone="danger" pendingLabel="Deleting…">
            Delete endpoint
          </Submit>
          <button type="button" className="button button-secondary" onClick={onClose} autoFocus>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
