import { auditActions, can, type RouterInputs } from '@tessera/client';
import { useTranslation } from 'react-i18next';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useTRPC, useUser } from '@tessera/react';
import { useState } from 'react';
import { errorMessage } from '../errors.js';
import { i18n } from '../i18n/index.js';
import { Link, navigate, useLocation } from '../router.js';
import { Empty, Pending, When, useDocumentTitle } from '../ui.js';

type AuditInput = Extract<RouterInputs['audit']['list'], object>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function AuditPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('nav.audit'));
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
        <h1>{t('nav.audit')}</h1>
        <p className="muted">{t('audit.adminsOnly')}</p>
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
          <h1>{t('nav.audit')}</h1>
          <p className="muted">{t('audit.intro')}</p>
        </div>
      </header>

      <div className="toolbar toolbar-audit" role="search">
        <div className="field">
          <label htmlFor="audit-action">{t('audit.action')}</label>
          <select id="audit-action" value={action} onChange={(event) => setAction(event.currentTarget.value)}>
            <option value="">{t('audit.allActions')}</option>
            {auditActions.map((name) => (
              <option key={name} value={name}>
                {actionLabel(name)}
              </option>
            ))}
          </select>
        </div>
        {actorId && (
          <FilterChip
            label={t('audit.by')}
            value={names.get(actorId) ?? actorId}
            onClear={() => clear('actorId')}
          />
        )}
        {targetId && (
          <FilterChip
            label={t('audit.on')}
            value={names.get(targetId) ?? targetId}
            onClear={() => clear('targetId')}
          />
        )}
      </div>

      <div className="table-wrap">
        {!events.data ? (
          <Pending query={events} label={t('audit.loading')} />
        ) : items.length === 0 ? (
          <Empty title={filtered ? t('audit.noMatch') : t('audit.none')}>
            {filtered ? t('audit.noMatchText') : undefined}
          </Empty>
        ) : (
          <table aria-busy={events.isFetching || undefined}>
            <thead>
              <tr>
                <th scope="col">{t('common.when')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.by')}</th>
                <th scope="col">{t('audit.on')}</th>
                <th scope="col">{t('audit.from')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((event) => (
                <tr key={event.id}>
                  <td data-label={t('common.when')}>
                    <When iso={event.at} />
                  </td>
                  <td data-label={t('audit.action')}>
                    {/* The recorded code stays on hover: it is what logs and the API filter by. */}
                    <span title={event.action}>{actionLabel(event.action)}</span>
                    <Details metadata={event.metadata} />
                  </td>
                  <td data-label={t('audit.by')}>
                    <Person id={event.actorId} names={names} param="actorId" />
                  </td>
                  <td data-label={t('audit.on')}>
                    <Person id={event.targetId} names={names} param="targetId" />
                  </td>
                  <td data-label={t('audit.from')} className="mono">
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
              {events.isFetchingNextPage ? t('common.loading') : t('common.loadMore')}
            </button>
          </div>
        )}
      </div>
    </main>
  );
}

function FilterChip({ label, value, onClear }: { label: string; value: string; onClear: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="field">
      <span className="label">{label}</span>
      <span className="chip">
        <span className="chip-text">{value}</span>
        <button
          type="button"
          className="link-button"
          onClick={onClear}
          aria-label={t('audit.clearFilter', { label })}
        >
          {t('audit.clear')}
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

/**
 * An action as people read it ("Failed sign-in"). Every action the server lists has words in
 * each catalogue (catalogue.test.ts); one recorded by a newer server shows as its code.
 */
function actionLabel(action: string): string {
  return i18n.t(`audit.actions.${action}`, { defaultValue: action });
}

function uuidParam(value: string | null): string | undefined {
  return value && UUID.test(value) ? value : undefined;
}
