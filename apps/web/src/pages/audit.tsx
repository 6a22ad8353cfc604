import { auditActions, can, errorCode, type RouterInputs, type RouterOutputs } from '@tessera/client';
import { useEffect, useState } from 'react';
import { useAuth } from '../auth.js';
import { errorMessage } from '../errors.js';
import { Link, navigate, useLocation } from '../router.js';
import { api } from '../session.js';
import { useQuery } from '../use-query.js';
import { Empty, Pending, When, useDocumentTitle } from '../ui.js';

type AuditInput = Extract<RouterInputs['audit']['list'], object>;
type AuditEvent = RouterOutputs['audit']['list']['items'][number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function AuditPage() {
  useDocumentTitle('Audit log');
  const { user: me } = useAuth();
  const { query } = useLocation();
  const actorId = uuidParam(query.get('actorId'));
  const targetId = uuidParam(query.get('targetId'));
  const [action, setAction] = useState('');

  const filters: AuditInput = {
    limit: 50,
    ...(actorId ? { actorId } : {}),
    ...(targetId ? { targetId } : {}),
    ...(action ? { action } : {}),
  };
  const key = JSON.stringify(filters);
  const first = useQuery(() => api.audit.list.query(filters), key);
  // Pages fetched with "Load more", kept until the filters change.
  const [more, setMore] = useState<{ key: string; items: AuditEvent[]; nextCursor: string | null }>();
  const [moreError, setMoreError] = useState<string>();
  const [loadingMore, setLoadingMore] = useState(false);

  const extra = more?.key === key ? more : undefined;
  const items = [...(first.data?.items ?? []), ...(extra?.items ?? [])];
  const nextCursor = extra ? extra.nextCursor : (first.data?.nextCursor ?? null);
  const names = useNames(items);

  if (!me || !can(me, 'audit.read')) {
    return (
      <main className="page" id="main">
        <h1>Audit log</h1>
        <p className="muted">Only admins can read the audit log.</p>
      </main>
    );
  }

  const loadMore = async () => {
    if (!nextCursor) return;
    setLoadingMore(true);
    setMoreError(undefined);
    try {
      const page = await api.audit.list.query({ ...filters, cursor: nextCursor });
      setMore({ key, items: [...(extra?.items ?? []), ...page.items], nextCursor: page.nextCursor });
    } catch (error) {
      setMoreError(errorMessage(error));
    } finally {
      setLoadingMore(false);
    }
  };

  const clear = (param: 'actorId' | 'targetId') => {
    const next = new URLSearchParams(query);
    next.delete(param);
    const search = next.toString();
    navigate(`/admin/audit${search ? `?${search}` : ''}`);
  };

  const filtered = Boolean(actorId || targetId || action);
  return (
    <main className="page" id="main">
      <header className="page-header">
        <div>
          <h1>Audit log</h1>
          <p className="muted">Who did what, newest first. Passwords and tokens are never recorded.</p>
        </div>
      </header>

      <div className="toolbar toolbar-audit" role="search">
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <select id="audit-action" value={action} onChange={(event) => setAction(event.currentTarget.value)}>
            <option value="">All actions</option>
            {auditActions.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        {actorId && (
          <FilterChip label="By" value={names.get(actorId) ?? actorId} onClear={() => clear('actorId')} />
        )}
        {targetId && (
          <FilterChip label="On" value={names.get(targetId) ?? targetId} onClear={() => clear('targetId')} />
        )}
      </div>

      <div className="table-wrap">
        {first.error || !first.data ? (
          <Pending query={first} label="Loading events…" />
        ) : items.length === 0 ? (
          <Empty title={filtered ? 'No events match' : 'No events yet'}>
            {filtered ? 'Try another action or clear the filters.' : undefined}
          </Empty>
        ) : (
          <table aria-busy={first.loading || undefined}>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">By</th>
                <th scope="col">On</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {items.map((event) => (
                <tr key={event.id}>
                  <td data-label="When">
                    <When iso={event.at} />
                  </td>
                  <td data-label="Action">
                    <span className="mono">{event.action}</span>
                    <Details metadata={event.metadata} />
                  </td>
                  <td data-label="By">
                    <Person id={event.actorId} names={names} param="actorId" />
                  </td>
                  <td data-label="On">
                    <Person id={event.targetId} names={names} param="targetId" />
                  </td>
                  <td data-label="From" className="mono">
                    {event.ip ?? '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {(nextCursor || moreError) && (
          <div className="pager">
            {moreError ? <span className="field-error">{moreError}</span> : <span />}
            <button
              type="button"
              className="button button-secondary button-small"
              disabled={loadingMore}
              onClick={() => void loadMore()}
            >
              {loadingMore ? 'Loading…' : 'Load more'}
            </button>
          </div>
        )}
      </div>
    </main>
  );
}

function FilterChip({ label, value, onClear }: { label: string; value: string; onClear: () => void }) {
  return (
    <div className="field">
      <span className="label">{label}</span>
      <span className="chip">
        <span className="chip-text">{value}</span>
        <button
          type="button"
          className="link-button"
          onClick={onClear}
          aria-label={`Clear “${label}” filter`}
        >
          Clear
        </button>
      </span>
    </div>
  );
}

function Person({ id, names, param }: { id: string | null; names: Map<string, string>; param: string }) {
  if (!id) return <span className="muted">—</span>;
  const name = names.get(id);
  return (
    <Link href={`/admin/audit?${param}=${encodeURIComponent(id)}`} title={id}>
      {name ?? <span className="mono">{id.slice(0, 8)}…</span>}
    </Link>
  );
}

function Details({ metadata }: { metadata: Record<string, unknown> }) {
  const entries = Object.entries(metadata);
  if (entries.length === 0) return null;
  return (
    <div className="muted small">
      {entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' · ')}
    </div>
  );
}

/** Names for the accounts on screen (deleted ones stay as ids), fetched once each. */
function useNames(events: AuditEvent[]): Map<string, string> {
  const [names, setNames] = useState(() => new Map<string, string>());
  const [asked] = useState(() => new Set<string>());
  const ids = [...new Set(events.flatMap((e) => [e.actorId, e.targetId]))].filter(
    (id): id is string => id !== null && UUID.test(id) && !asked.has(id),
  );
  const wanted = ids.join(',');
  useEffect(() => {
    if (!wanted) return;
    const list = wanted.split(',');
    list.forEach((id) => asked.add(id));
    void Promise.all(
      list.map((id) =>
        api.users.get.query({ id }).then(
          (user) => [id, user.name || user.email] as const,
          (error: unknown) => (errorCode(error) === 'NOT_FOUND' ? ([id, 'Deleted account'] as const) : null),
        ),
      ),
    ).then((found) => {
      setNames((current) => {
        const next = new Map(current);
        for (const entry of found) if (entry) next.set(entry[0], entry[1]);
        return next;
      });
    });
  }, [wanted, asked]);
  return names;
}

function uuidParam(value: string | null): string | undefined {
  return value && UUID.test(value) ? value : undefined;
}
