import { auditActions, can, type RouterInputs } from '@tessera/client';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useTRPC, useUser } from '@tessera/react';
import { useState } from 'react';
import { errorMessage } from '../errors.js';
import { Link, navigate, useLocation } from '../router.js';
import { Empty, Pending, When, useDocumentTitle } from '../ui.js';

type AuditInput = Extract<RouterInputs['audit']['list'], object>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function AuditPage() {
  useDocumentTitle('Audit log');
  const me = useUser();
  const trpc = useTRPC();
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
  // Pages of events, each with its actor's and target's names (one request per page).
  const events = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(filters, {
      enabled: Boolean(me && can(me, 'audit.read')),
      getNextPageParam: (page) => page.nextCursor,
    }),
  );
  const items = events.data?.pages.flatMap((page) => page.items) ?? [];
  const names = new Map<string, string>();
  for (const event of items) {
    if (event.actorId && event.actorName !== null) names.set(event.actorId, event.actorName);
    if (event.targetId && event.targetName !== null) names.set(event.targetId, event.targetName);
  }

  if (!me || !can(me, 'audit.read')) {
    return (
      <main className="page" id="main">
        <h1>Audit log</h1>
        <p className="muted">Only admins can read the audit log.</p>
      </main>
    );
  }

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
        {!events.data ? (
          <Pending query={events} label="Loading events…" />
        ) : items.length === 0 ? (
          <Empty title={filtered ? 'No events match' : 'No events yet'}>
            {filtered ? 'Try another action or clear the filters.' : undefined}
          </Empty>
        ) : (
          <table aria-busy={events.isFetching || undefined}>
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
        {(events.hasNextPage || events.isFetchNextPageError) && (
          <div className="pager">
            {events.isFetchNextPageError ? (
              <span className="field-error">{errorMessage(events.error)}</span>
            ) : (
              <span />
            )}
            <button
              type="button"
              className="button button-secondary button-small"
              disabled={events.isFetchingNextPage}
              onClick={() => void events.fetchNextPage()}
            >
              {events.isFetchingNextPage ? 'Loading…' : 'Load more'}
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

function uuidParam(value: string | null): string | undefined {
  return value && UUID.test(value) ? value : undefined;
}
