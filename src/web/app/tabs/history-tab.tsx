import { useEffect, useRef, useState } from 'preact/hooks';
import { isQuiet } from '../api';
import { PreviewBadge } from '../components/review';
import { RunStatusBadge, RunSummary, useWords } from '../components/run-summary';
import { DataTable } from '../components/data-table';
import { usePoll } from '../components/use-async';
import { useCursorPages } from '../components/use-cursor-pages';
import { ErrorNotice, Loading } from '../components/ui';
import type { ErrorLike } from '../logic/errors';
import { ALL_OUTCOMES, count, isActive, itemFacts, RUN_TRIGGER_FILTERS, RUN_STATUS_FILTERS } from '../logic/runs';
import { useConsole } from '../store';
import type { TabProps } from './registry';
import type { Page, RunItem, SyncRun } from '../types';

/** Every run, newest first, with filters; a run's report with its people (by name). */
export function HistoryTab(props: TabProps) {
  const { api, t, fmt, connections, navigate, dataVersion } = useConsole();
  const words = useWords();
  const [filters, setFilters] = useState({ connectionId: '', status: '', trigger: '' });
  const { items: runs, cursor, loading, error, load } = useCursorPages<SyncRun>(
    (from) => api.request<Page<SyncRun>>('GET', '/sync-runs', { query: { ...filters, limit: 20, cursor: from } }),
    [filters, dataVersion],
  );

  const open = (id: string) => navigate('history', { sub: id });
  const domain = (id: string) => connections.find((c) => c.id === id)?.domain ?? t('common.unknown_portal');
  const filtered = Boolean(filters.connectionId || filters.status || filters.trigger);
  // One portal: its name in every row says nothing.
  const multiPortal = connections.length > 1;
  const set = (key: keyof typeof filters) => (e: Event) => setFilters((f) => ({ ...f, [key]: (e.currentTarget as HTMLSelectElement).value }));

  return (
    <>
      <h2>{t('history.title')}</h2>
      <form id="history-filters" class="filters" aria-label={t('history.filters')} method="post" noValidate onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="history-connection">{t('data_access.portal')}</label>
          <select id="history-connection" data-testid="history-filter-connection" value={filters.connectionId} onChange={set('connectionId')}>
            <option value="">{t('history.all_portals')}</option>
            {connections.map((c) => (
              <option key={c.id} value={c.id}>
                {c.domain}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="history-status">{t('employees.status')}</label>
          <select id="history-status" data-testid="history-filter-status" value={filters.status} onChange={set('status')}>
            <option value="">{t('common.any')}</option>
            {RUN_STATUS_FILTERS.map((s) => (
              <option key={s} value={s}>
                {t(`statuses.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="history-trigger">{t('history.started_by')}</label>
          <select id="history-trigger" data-testid="history-filter-trigger" value={filters.trigger} onChange={set('trigger')}>
            <option value="">{t('common.any')}</option>
            {RUN_TRIGGER_FILTERS.map((s) => (
              <option key={s} value={s}>
                {t(`triggers.${s}`)}
              </option>
            ))}
          </select>
        </div>
      </form>
      <p class="muted" role="status" data-testid="history-status">
        {loading && !runs.length ? t('history.loading') : runs.length ? t('history.shown', { count: runs.length, more: cursor ? t('common.more_available') : '' }) : ''}
      </p>
      <ErrorNotice error={error} testid="history-error" />
      <DataTable
        id="history"
        caption={t('history.caption')}
        testid="history-table"
        class="table-runs"
        bodyId="history-rows"
        hidden={!runs.length}
        columns={[
          t('history.col_run'),
          t('employees.status'),
          ...(multiPortal ? [t('data_access.portal')] : []),
          t('history.started_by'),
          t('history.col_duration'),
          { label: t('history.col_processed'), num: true },
          ...(['created', 'linked_by_email', 'updated', 'skipped', 'dismissed', 'deleted'] as const).map((o) => ({ label: t(`outcomes.${o}`), num: true })),
        ]}
      >
        {runs.map((run) => {
          const n = (key: string) => (
            <td class="num" data-label={words.outcome(key)}>
              {fmt.number(count(run.counters, key))}
            </td>
          );
          const when = fmt.dateTimeSeconds(run.queuedAt);
          const selected = run.id === props.sub;
          return (
            <tr key={run.id} data-testid="history-row" data-run-id={run.id} data-status={run.status} class={`row-clickable${selected ? ' row-selected' : ''}`} aria-current={selected ? 'true' : undefined} onClick={() => open(run.id)}>
              <td data-label={t('history.col_run')}>
                <button
                  type="button"
                  class="link-button"
                  data-testid="history-open"
                  aria-label={t('history.open_label', { when })}
                  onClick={(e) => {
                    e.stopPropagation();
                    open(run.id);
                  }}
                >
                  {when}
                </button>
              </td>
              <td data-label={t('employees.status')}>
                <RunStatusBadge status={run.status} /> {run.dryRun && <PreviewBadge />}
                {run.guardResolution && <div class="muted small">{t(`history.removals_${run.guardResolution === 'confirmed' ? 'confirmed' : run.guardResolution === 'discarded' ? 'discarded' : 'superseded'}`)}</div>}
              </td>
              {multiPortal && (
                <td class="nowrap" data-label={t('data_access.portal')}>
                  {domain(run.connectionId)}
                </td>
              )}
              <td data-label={t('history.started_by')}>{words.trigger(run.trigger)}</td>
              <td data-label={t('history.col_duration')}>{isActive(run) ? '…' : fmt.duration(run.startedAt ?? run.queuedAt, run.finishedAt)}</td>
              <td class="num" data-label={t('history.col_processed')}>
                {run.progress.total !== null ? `${fmt.number(run.progress.processed)} / ${fmt.number(run.progress.total)}` : fmt.number(run.progress.processed)}
              </td>
              {n('created')}
              {n('linked_by_email')}
              {n('updated')}
              {n('skipped')}
              {n('dismissed')}
              {n('deleted')}
            </tr>
          );
        })}
      </DataTable>
      {!loading && !error && !runs.length && (
        <div class="empty" data-testid="history-empty">
          <p>{filtered ? t('history.none_filtered') : t('history.none')}</p>
        </div>
      )}
      {cursor && (
        <div class="more">
          <button type="button" data-testid="history-load-more" disabled={loading} onClick={() => load(cursor)}>
            {loading ? t('common.loading') : t('common.load_more')}
          </button>
        </div>
      )}
      {props.sub && <RunReport key={props.sub} runId={props.sub} onClose={() => navigate('history')} onChanged={() => load(null)} />}
    </>
  );
}

function RunReport(props: { runId: string; onClose: () => void; onChanged: () => void }) {
  const { api, t, fmt, connections } = useConsole();
  const words = useWords();
  const [run, setRun] = useState<SyncRun | null>(null);
  const [error, setError] = useState<ErrorLike | null>(null);
  const [outcome, setOutcome] = useState('');
  const title = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    api.request<SyncRun>('GET', `/sync-runs/${encodeURIComponent(props.runId)}`).then(
      (r) => {
        setRun(r);
        requestAnimationFrame(() => {
          title.current?.focus();
          title.current?.scrollIntoView({ block: 'start' });
        });
      },
      (e: unknown) => !isQuiet(e) && setError(e as ErrorLike),
    );
  }, [props.runId]);

  const {
    items,
    cursor,
    loading: itemsLoading,
    error: itemsError,
    load: loadItems,
  } = useCursorPages<RunItem>(
    (from) => api.request<Page<RunItem>>('GET', `/sync-runs/${encodeURIComponent(props.runId)}/items`, { query: { outcome: outcome || undefined, sort: 'name', limit: 100, cursor: from } }),
    [props.runId, outcome],
  );

  usePoll(Boolean(run && isActive(run)), 700, async () => {
    const current = await api.request<SyncRun>('GET', `/sync-runs/${encodeURIComponent(props.runId)}`);
    setRun(current);
    if (isActive(current)) return true;
    void loadItems(null);
    props.onChanged();
    return false;
  });

  const domain = run ? (connections.find((c) => c.id === run.connectionId)?.domain ?? t('common.unknown_portal')) : '';
  return (
    <section id="run-report" class="card stack report" aria-labelledby="run-report-title" data-testid="run-report">
      <div class="report-head">
        <h3 id="run-report-title" tabIndex={-1} ref={title}>
          {run ? t('history.report_title', { when: fmt.dateTimeSeconds(run.queuedAt), domain }) : t('history.report')}
        </h3>
        <button type="button" class="button-quiet" id="run-report-close" data-testid="run-report-close" onClick={props.onClose}>
          {t('history.close_report')}
        </button>
      </div>
      <div id="run-report-body">
        {!run && !error && <Loading text={t('history.loading_run')} />}
        <ErrorNotice error={error} />
        {run && (
          <RunSummary
            run={run}
            connection={connections.find((c) => c.id === run.connectionId) ?? null}
            showSkipped={false}
            onChanged={(updated) => {
              setRun(updated);
              void loadItems(null);
              props.onChanged();
            }}
          />
        )}
      </div>
      <div class="stack">
        <h4 id="run-items-title">{t('history.people')}</h4>
        <div class="field field-inline">
          <label for="run-items-outcome">{t('history.outcome')}</label>
          <select id="run-items-outcome" data-testid="report-outcome-filter" value={outcome} onChange={(e) => setOutcome((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">{t('history.all_outcomes')}</option>
            {/* "unchanged" is counted, never itemized (issue 12, finding 7): nothing to list. */}
            {ALL_OUTCOMES.filter((o) => o !== 'unchanged').map((o) => (
              <option key={o} value={o}>
                {`${words.outcome(o)} (${fmt.number(count(run?.counters, o))})`}
              </option>
            ))}
          </select>
        </div>
        <p class="muted" role="status">
          {itemsLoading && !items.length ? t('history.loading_people') : items.length ? t('history.people_shown', { count: items.length, more: cursor ? t('common.more_available') : '' }) : ''}
        </p>
        <ErrorNotice error={itemsError} />
        <DataTable
          id="run-items"
          caption={t('history.people_caption')}
          testid="report-items"
          bodyId="run-items-rows"
          hidden={!items.length}
          columns={[t('history.col_person'), t('history.col_bitrix24_id'), t('history.outcome'), t('history.col_details')]}
        >
          {items.map((item) => (
            <tr key={item.id} data-testid="report-item" data-outcome={item.outcome} data-reason={item.reason ?? ''}>
              <td data-label={t('history.col_person')}>{item.name || <span class="muted">—</span>}</td>
              <td data-label={t('history.col_bitrix24_id')}>{item.bitrix24UserId !== null ? String(item.bitrix24UserId) : '—'}</td>
              <td data-label={t('history.outcome')}>{words.outcome(item.outcome)}</td>
              <td data-label={t('history.col_details')}>
                <ItemDetails item={item} />
              </td>
            </tr>
          ))}
        </DataTable>
        {!itemsLoading && !itemsError && !items.length && (
          <div class="empty">
            <p>{outcome ? t('history.nobody_with', { outcome: words.outcome(outcome) }) : t('history.no_items')}</p>
          </div>
        )}
        {cursor && (
          <div class="more">
            <button type="button" data-testid="report-load-more" disabled={itemsLoading} onClick={() => loadItems(cursor)}>
              {itemsLoading ? t('common.loading') : t('common.load_more')}
            </button>
          </div>
        )}
      </div>
    </section>
  );
}

function ItemDetails(props: { item: RunItem }) {
  const { t } = useConsole();
  const words = useWords();
  const { item } = props;
  const d = item.details ?? {};
  const parts: string[] = [];
  if (item.reason) parts.push(words.reason(item.reason, item.details));
  for (const fact of itemFacts(item)) parts.push(t(fact.key, fact.vars));
  if ((item.outcome === 'updated' || item.outcome === 'linked_by_email') && Array.isArray(d.changedFields) && d.changedFields.length) {
    parts.push(t('history.changed', { fields: (d.changedFields as string[]).join(', ') }));
  }
  if (item.outcome === 'phone_rejected' && typeof d.field === 'string') parts.push(t('history.phone_field', { field: d.field }));
  if ((item.outcome === 'dismissed' || item.outcome === 'deleted' || item.outcome === 'reactivated') && typeof d.previousState === 'string') {
    parts.push(t('history.was', { state: d.previousState }));
  }
  if (d.notReturnedByBitrix24) parts.push(t('history.not_returned'));
  if (!parts.length) return <span class="muted">—</span>;
  return <>{parts.join(' · ')}</>;
}
