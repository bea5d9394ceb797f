import { useEffect, useRef, useState } from 'preact/hooks';
import { isQuiet } from '../api';
import { DataTable } from '../components/data-table';
import { ExclusionsSection } from '../components/exclusions';
import { PersonCells } from '../components/people';
import { useAction } from '../components/use-async';
import { Badge, ErrorNotice, Notice, TabLink } from '../components/ui';
import { useUserDecisions, type UserDecisions } from '../components/user-decisions';
import type { MessageKey } from '../i18n/i18n';
import type { ErrorLike } from '../logic/errors';
import { personName } from '../logic/format';
import { bulkBody, exportPath, filterParams, isFiltered, linkExplanation, NO_FILTERS, nextSort, sortState, type EmployeeFilters, type EmployeeSort, type LinkFilter } from '../logic/employees';
import { useConsole } from '../store';
import type { BulkAddResult, Employee, EmployeeLink, Page } from '../types';

const PAGE = 100;

const LINK_FILTERS: Array<{ value: LinkFilter; testid: string; label: MessageKey }> = [
  { value: '', testid: 'employee-filter-all', label: 'employees.filter_all' },
  { value: 'unlinked', testid: 'employee-filter-unlinked', label: 'employees.filter_unlinked' },
  { value: 'active', testid: 'employee-filter-linked', label: 'employees.filter_linked' },
  { value: 'dismissed', testid: 'employee-filter-dismissed', label: 'employees.filter_dismissed' },
  { value: 'deleted', testid: 'employee-filter-deleted', label: 'employees.filter_deleted' },
];

/**
 * The directory: filters as in 1C's exchange (seeds/003), a total, sorting, CSV, bulk "add to
 * responsible"; unlinking a person from Bitrix24 and the users excluded from matching (issue 14).
 */
export function EmployeesTab() {
  const { api, t, fmt, can, confirm, flash, dataVersion, dataChanged } = useConsole();
  const [filters, setFilters] = useState<EmployeeFilters>(NO_FILTERS);
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<EmployeeSort>('name');
  const [rows, setRows] = useState<Employee[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<ErrorLike | null>(null);
  const exporting = useAction();
  const adding = useAction();
  const decide = useUserDecisions();
  const generation = useRef(0);

  const load = async (from: string | null) => {
    const gen = ++generation.current;
    if (from) setLoadingMore(true);
    else setLoading(true);
    setError(null);
    try {
      const page = await api.request<Page<Employee>>('GET', '/employees', { query: { ...filterParams(filters), sort, limit: PAGE, cursor: from ?? undefined } });
      if (gen !== generation.current) return;
      setRows((list) => (from ? [...list, ...page.items] : page.items));
      setCursor(page.nextCursor);
      setTotal(page.total ?? null);
    } catch (e) {
      if (gen === generation.current && !isQuiet(e)) setError(e as ErrorLike);
    } finally {
      if (gen === generation.current) {
        setLoading(false);
        setLoadingMore(false);
      }
    }
  };

  useEffect(() => {
    void load(null);
  }, [filters, sort, dataVersion]);

  // Typing waits for a pause before asking the API; the table says it is stale meanwhile.
  useEffect(() => {
    if (search === filters.q) return;
    setLoading(true);
    const timer = setTimeout(() => setFilters((f) => ({ ...f, q: search })), 300);
    return () => clearTimeout(timer);
  }, [search]);

  const exportCsv = () =>
    exporting.run(async () => {
      const { blob, filename } = await api.download(exportPath(filters, sort));
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });

  const bulkAdd = async () => {
    const body = bulkBody(filters);
    const preview = await adding.run(() => api.request<BulkAddResult>('POST', '/responsible-employees/bulk', { body: { ...body, dryRun: true } }));
    if (!preview) return;
    if (!preview.eligible) {
      flash(t('employees.bulk_nothing', { already: preview.alreadyOnList, dismissed: preview.skippedDismissed, inactive: preview.skippedInactive }), 'info');
      return;
    }
    const ok = await confirm({
      title: 'employees.bulk_title',
      titleVars: { count: preview.eligible },
      lines: [
        { key: 'employees.bulk_adds', vars: { count: preview.eligible, matched: preview.matched } },
        { key: 'employees.bulk_already', vars: { count: preview.alreadyOnList } },
        { key: 'employees.bulk_dismissed', vars: { count: preview.skippedDismissed } },
        { key: 'employees.bulk_inactive', vars: { count: preview.skippedInactive } },
      ],
      confirm: 'employees.bulk_ok',
    });
    if (!ok) return;
    const result = await adding.run(() => api.request<BulkAddResult>('POST', '/responsible-employees/bulk', { body }));
    if (!result) return;
    flash(t('employees.bulk_done', { count: result.added }), 'ok');
    dataChanged();
  };

  const filtered = isFiltered(filters);
  const sortButton = (column: 'name' | 'email' | 'created', label: MessageKey) => {
    const state = sortState(sort, column);
    return (
      <th key={column} scope="col" aria-sort={state === 'none' ? undefined : state}>
        <button type="button" class="sort-button" data-testid={`employee-sort-${column}`} data-sort={state} onClick={() => setSort(nextSort(sort, column))}>
          {t(label)}
          <span aria-hidden="true" class="sort-mark">
            {state === 'ascending' ? '▲' : state === 'descending' ? '▼' : ''}
          </span>
        </button>
      </th>
    );
  };

  return (
    <>
      <h2>{t('employees.title')}</h2>
      <form
        id="employee-filters"
        class="filters"
        role="search"
        aria-label={t('employees.filters')}
        method="post"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setFilters((f) => ({ ...f, q: search }));
        }}
      >
        <div class="field filter-search">
          <label for="employee-search">{t('common.search')}</label>
          <input id="employee-search" type="search" placeholder={t('common.search_placeholder')} maxLength={100} autoComplete="off" data-testid="employee-search" value={search} onInput={(e) => setSearch((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <fieldset class="filter-link">
          <legend>{t('employees.link')}</legend>
          <div class="choices-row">
            {LINK_FILTERS.map((f) => (
              <span class="choice" key={f.testid}>
                <input type="radio" name="linkState" id={f.testid} value={f.value} checked={filters.linkState === f.value} data-testid={f.testid} onChange={() => setFilters((x) => ({ ...x, linkState: f.value }))} />
                <label for={f.testid}>{t(f.label)}</label>
              </span>
            ))}
          </div>
        </fieldset>
        <div class="field">
          <label for="employee-source">{t('employees.source')}</label>
          <select id="employee-source" data-testid="employee-filter-source" value={filters.source} onChange={(e) => setFilters((x) => ({ ...x, source: (e.currentTarget as HTMLSelectElement).value as EmployeeFilters['source'] }))}>
            <option value="">{t('common.any')}</option>
            <option value="bitrix24">{t('employees.source_bitrix24')}</option>
            <option value="manual">{t('employees.source_manual')}</option>
          </select>
        </div>
        <div class="field">
          <label for="employee-active">{t('employees.status')}</label>
          <select id="employee-active" data-testid="employee-filter-active" value={filters.active} onChange={(e) => setFilters((x) => ({ ...x, active: (e.currentTarget as HTMLSelectElement).value as EmployeeFilters['active'] }))}>
            <option value="">{t('common.any')}</option>
            <option value="true">{t('employees.active')}</option>
            <option value="false">{t('employees.deactivated')}</option>
          </select>
        </div>
      </form>

      <div class="toolbar">
        <p class="toolbar-count" role="status" data-testid="employees-status" data-total={total ?? ''}>
          {loading ? t('employees.loading') : total !== null ? t('employees.total', { count: total, shown: fmt.number(rows.length) }) : ''}
        </p>
        <div class="actions">
          <button type="button" data-testid="employees-export" disabled={exporting.busy || !total} aria-busy={exporting.busy || undefined} onClick={exportCsv}>
            {exporting.busy ? t('employees.exporting') : t('employees.export')}
          </button>
          {can('responsible:write') && (
            <button type="button" data-testid="employees-bulk-add" disabled={adding.busy || !total} aria-busy={adding.busy || undefined} onClick={bulkAdd}>
              {filtered ? t('employees.bulk_button_filtered') : t('employees.bulk_button')}
            </button>
          )}
        </div>
      </div>
      <ErrorNotice error={error} testid="employees-error" />
      <ErrorNotice error={exporting.error ?? adding.error ?? decide.error} testid="employees-action-error" />
      <DataTable
        id="employees"
        caption={t('employees.caption')}
        testid="employee-table"
        tableId="employee-table"
        bodyId="employee-rows"
        hidden={!rows.length}
        busy={loading}
        columns={[
          sortButton('name', 'employees.col_name'),
          sortButton('email', 'employees.col_email'),
          t('employees.col_phones'),
          t('employees.col_extension'),
          t('employees.col_link'),
          t('employees.col_departments'),
          t('employees.col_status'),
          sortButton('created', 'employees.col_created'),
        ]}
      >
        {rows.map((e) => (
          <EmployeeRow key={e.id} employee={e} decide={decide} />
        ))}
      </DataTable>
      {!loading && !error && !rows.length && (
        <div class="empty" data-testid="employees-empty">
          {filtered ? (
            <p>{t('employees.none_filtered')}</p>
          ) : (
            <p>
              {t('employees.none')}{' '}
              <TabLink tab="data-access">{t('employees.none_go')}</TabLink>
            </p>
          )}
        </div>
      )}
      {cursor && (
        <div class="more">
          <button type="button" data-testid="employees-load-more" disabled={loadingMore} aria-busy={loadingMore || undefined} onClick={() => load(cursor)}>
            {loadingMore ? t('common.loading') : t('employees.load_more', { count: Math.min(PAGE, (total ?? 0) - rows.length) })}
          </button>
        </div>
      )}
      {!can('responsible:write') && <Notice tone="info">{t('employees.read_only')}</Notice>}
      {can('connections:read') && <ExclusionsSection />}
    </>
  );
}

function EmployeeRow(props: { employee: Employee; decide: UserDecisions }) {
  const { t, connections } = useConsole();
  const e = props.employee;
  return (
    <tr data-testid="employee-row" data-employee-id={e.id} data-source={e.source} class={e.active ? '' : 'row-inactive'}>
      <PersonCells employee={e} extensionTestid="employee-extension" />
      <td data-label={t('employees.col_link')}>
        <LinkCell employee={e} multiPortal={connections.length > 1} decide={props.decide} />
      </td>
      <td data-label={t('employees.col_departments')}>
        <DepartmentsCell employee={e} />
      </td>
      <td data-label={t('employees.col_status')}>
        {e.active ? <Badge tone="ok">{t('employees.active')}</Badge> : <Badge tone="neutral">{t('employees.deactivated')}</Badge>}
        {e.responsible && (
          <>
            {' '}
            <Badge tone="info">{t('employees.responsible')}</Badge>
          </>
        )}
      </td>
      <td data-label={t('employees.col_created')}>
        <CreatedAt iso={e.createdAt} />
      </td>
    </tr>
  );
}

/** Issue 13: the person's departments in Bitrix24 order (the first decides the manager) and the manager. */
function DepartmentsCell(props: { employee: Employee }) {
  const { t } = useConsole();
  const names = (props.employee.departments ?? []).map((d) => d.name ?? t('common.bitrix24_department', { id: d.bitrix24DepartmentId }));
  return (
    <>
      {names.length ? <span data-testid="employee-departments">{names.join(', ')}</span> : <span class="muted">—</span>}
      {props.employee.managerName && (
        <span class="muted block" data-testid="employee-manager">
          {t('employees.manager', { name: props.employee.managerName })}
        </span>
      )}
    </>
  );
}

function CreatedAt(props: { iso: string }) {
  const { fmt } = useConsole();
  return <time dateTime={props.iso}>{fmt.dateTime(props.iso)}</time>;
}

function LinkCell(props: { employee: Employee; multiPortal: boolean; decide: UserDecisions }) {
  const { t, fmt, can, connections } = useConsole();
  const e = props.employee;
  if (!e.bitrix24Links?.length) {
    return (
      <span class="muted" data-testid="employee-link-state" data-state="unlinked">
        {t('employees.not_linked')}
      </span>
    );
  }
  const { name } = personName(e);
  const tone = (l: EmployeeLink) => (({ active: 'ok', dismissed: 'warn', deleted: 'error' }) as const)[l.state as 'active'] ?? 'neutral';
  return (
    <ul class="links" data-testid="employee-link-state" data-state={e.bitrix24Links.map((l) => l.state).join(' ')}>
      {e.bitrix24Links.map((l) => {
        const explanation = linkExplanation(e, l, (iso) => fmt.dateTime(iso));
        const domain = props.multiPortal ? connections.find((c) => c.id === l.connectionId)?.domain : null;
        const stateKey: MessageKey = l.state === 'active' ? 'employees.link_active' : l.state === 'dismissed' ? 'employees.link_state_dismissed' : l.state === 'deleted' ? 'employees.link_state_deleted' : 'employees.link_state_other';
        return (
          <li key={`${l.connectionId}-${l.bitrix24UserId}`}>
            <Badge tone={tone(l)} title={explanation ? t(explanation.key, explanation.vars) : undefined}>
              {t(stateKey, { state: l.state })}
            </Badge>
            <span class="muted">
              {' '}
              {t('common.bitrix24_id', { id: l.bitrix24UserId })}
              {domain ? ` · ${domain}` : ''}
              {l.matchedBy === 'email' ? ` · ${t('employees.linked_by_email')}` : ''}
            </span>
            {explanation && (
              <span class="link-explanation" data-testid="employee-link-explanation">
                {t(explanation.key, explanation.vars)}
              </span>
            )}
            {can('employees:write') && (
              <button
                type="button"
                class="link-button block"
                data-testid="employee-unlink"
                data-bitrix24-user-id={l.bitrix24UserId}
                disabled={props.decide.busy}
                onClick={() => props.decide.unlink(l.connectionId, l.bitrix24UserId, name)}
              >
                {t('employees.unlink')}
                <span class="visually-hidden"> {t('employees.unlink_label', { name, id: l.bitrix24UserId })}</span>
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}
