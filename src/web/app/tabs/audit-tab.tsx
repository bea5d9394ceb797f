import { useState } from 'preact/hooks';
import { DataTable } from '../components/data-table';
import { roleName } from '../components/header';
import { useWords } from '../components/run-summary';
import { ErrorNotice, Time } from '../components/ui';
import { useCursorPages } from '../components/use-cursor-pages';
import { actionDetail, actionLabel, auditQuery, displayName, eventRunId, NO_AUDIT_FILTERS, type AuditFilters } from '../logic/audit';
import { useConsole } from '../store';
import type { AuditEvent, Page } from '../types';

const PAGE = 50;

/**
 * The audit trail (GET /audit-events): who (which API key) linked, unlinked, allowed matching
 * again or imported one person, and when; newest first, filtered by portal and Bitrix24 user,
 * "Load more" by the API's cursor. Nothing here needs action, so the tab has no badge.
 */
export function AuditTab() {
  const { api, t, connections, navigate, dataVersion } = useConsole();
  const words = useWords();
  const [filters, setFilters] = useState<AuditFilters>(NO_AUDIT_FILTERS);
  const [typedUser, setTypedUser] = useState('');
  const [problem, setProblem] = useState('');
  const { items: events, cursor, loading, error, load } = useCursorPages<AuditEvent>((from) => {
    const query = auditQuery(filters);
    return query && api.request<Page<AuditEvent>>('GET', '/audit-events', { query: { ...query, limit: PAGE, cursor: from } });
  }, [filters, dataVersion]);

  const applyUser = (event: Event) => {
    event.preventDefault();
    const next = { ...filters, bitrix24UserId: typedUser };
    if (!auditQuery(next)) {
      setProblem(t('audit.user_filter_invalid'));
      return;
    }
    setProblem('');
    setFilters(next);
  };
  const multiPortal = connections.length > 1;
  const domain = (id: string | null) => connections.find((c) => c.id === id)?.domain ?? t('common.unknown_portal');
  const filtered = Boolean(filters.connectionId || filters.bitrix24UserId);

  return (
    <>
      <h2>{t('audit.title')}</h2>
      <p class="muted">{t('audit.intro')}</p>
      <form id="audit-filters" class="filters" aria-label={t('audit.filters')} method="post" noValidate onSubmit={applyUser}>
        <div class="field">
          <label for="audit-connection">{t('data_access.portal')}</label>
          <select id="audit-connection" data-testid="audit-filter-connection" value={filters.connectionId} onChange={(e) => setFilters((f) => ({ ...f, connectionId: (e.currentTarget as HTMLSelectElement).value }))}>
            <option value="">{t('history.all_portals')}</option>
            {connections.map((c) => (
              <option key={c.id} value={c.id}>
                {c.domain}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="audit-user">{t('audit.user_filter')}</label>
          <input
            id="audit-user"
            type="text"
            inputMode="numeric"
            autoComplete="off"
            maxLength={10}
            data-testid="audit-filter-user"
            value={typedUser}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? 'audit-user-hint audit-user-problem' : 'audit-user-hint'}
            onInput={(e) => setTypedUser((e.currentTarget as HTMLInputElement).value)}
          />
          <p class="hint" id="audit-user-hint">
            {t('audit.user_filter_hint')}
          </p>
        </div>
        <div class="form-actions">
          <button type="submit" data-testid="audit-filter-apply">
            {t('audit.apply_filter')}
          </button>
        </div>
      </form>
      {problem && (
        <p class="notice notice-error" id="audit-user-problem" role="alert" data-testid="audit-filter-problem">
          {problem}
        </p>
      )}
      <p class="muted" role="status" data-testid="audit-status">
        {loading && !events.length ? t('audit.loading') : events.length ? t('audit.shown', { count: events.length, more: cursor ? t('common.more_available') : '' }) : ''}
      </p>
      <ErrorNotice error={error} testid="audit-error" />
      <DataTable
        id="audit"
        caption={t('audit.caption')}
        testid="audit-table"
        bodyId="audit-rows"
        hidden={!events.length}
        busy={loading}
        columns={[t('audit.col_when'), t('audit.col_who'), t('audit.col_what'), t('audit.col_person'), ...(multiPortal ? [t('data_access.portal')] : []), t('audit.col_details')]}
      >
        {events.map((event) => {
          const what = actionLabel(event);
          const detail = actionDetail(event, words.outcome);
          const runId = eventRunId(event);
          const name = displayName(event.employeeName);
          return (
            <tr key={event.id} data-testid="audit-row" data-action={event.action} data-bitrix24-user-id={event.bitrix24UserId ?? ''} data-employee-id={event.employeeId ?? ''}>
              <td class="nowrap" data-label={t('audit.col_when')}>
                <Time iso={event.at} seconds />
              </td>
              <td data-label={t('audit.col_who')} data-testid="audit-who">
                {event.keyName ? (
                  <>
                    <span class="break block">{event.keyName}</span>
                    {event.keyRole && <span class="muted">{t('audit.who_role', { role: roleName(t, event.keyRole) })}</span>}
                  </>
                ) : (
                  <span class="muted">{t('audit.who_unknown')}</span>
                )}
              </td>
              <td data-label={t('audit.col_what')} data-testid="audit-what">
                {t(what.key, what.vars)}
              </td>
              <td data-label={t('audit.col_person')} data-testid="audit-person">
                {name && <span class="block">{name}</span>}
                {event.bitrix24UserId !== null && <span class={name ? 'muted' : undefined}>{t('common.bitrix24_user', { id: event.bitrix24UserId })}</span>}
                {!name && event.bitrix24UserId === null && <span class="muted">—</span>}
              </td>
              {multiPortal && (
                <td class="nowrap" data-label={t('data_access.portal')}>
                  {event.connectionId ? domain(event.connectionId) : '—'}
                </td>
              )}
              <td data-label={t('audit.col_details')} data-testid="audit-detail">
                {detail ? t(detail.key, detail.vars) : <span class="muted">—</span>}
                {runId && (
                  <>
                    {' '}
                    <a
                      href={`#history/${runId}`}
                      data-testid="audit-open-run"
                      onClick={(e) => {
                        e.preventDefault();
                        navigate('history', { sub: runId });
                      }}
                    >
                      {t('audit.open_run')}
                    </a>
                  </>
                )}
              </td>
            </tr>
          );
        })}
      </DataTable>
      {!loading && !error && !events.length && (
        <div class="empty" data-testid="audit-empty">
          <p>{filtered ? t('audit.none_filtered') : t('audit.none')}</p>
        </div>
      )}
      {cursor && (
        <div class="more">
          <button type="button" data-testid="audit-load-more" disabled={loading} aria-busy={loading || undefined} onClick={() => load(cursor)}>
            {loading ? t('common.loading') : t('common.load_more')}
          </button>
        </div>
      )}
    </>
  );
}
