import { useEffect, useRef, useState } from 'preact/hooks';
import { isQuiet } from '../api';
import { DataTable } from '../components/data-table';
import { displayName, PersonCells, personColumns, PersonName } from '../components/people';
import { ErrorNotice, Loading, TabLink } from '../components/ui';
import type { ErrorLike } from '../logic/errors';
import { cleanSearch } from '../logic/employees';
import { useConsole } from '../store';
import type { Employee, Page } from '../types';

/** Who calls and CRM records can be assigned to; people who left Bitrix24 come off it after each import. */
export function ResponsibleTab() {
  const { api, t, fmt, can, flash, dataVersion } = useConsole();
  const [items, setItems] = useState<Employee[] | null>(null);
  const [error, setError] = useState<ErrorLike | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    api.request<{ items: Employee[] }>('GET', '/responsible-employees').then(
      (list) => setItems(list.items),
      (e: unknown) => !isQuiet(e) && setError(e as ErrorLike),
    );
  }, [dataVersion]);

  const change = async (e: Employee, add: boolean) => {
    setBusyId(e.id);
    setError(null);
    try {
      const list = await api.request<{ items: Employee[] }>(add ? 'POST' : 'DELETE', `/responsible-employees/${encodeURIComponent(e.id)}`);
      setItems(list.items);
      flash(t(add ? 'responsible.added_flash' : 'responsible.removed_flash', { name: displayName(e) }), 'ok');
      if (!add) searchRef.current?.focus();
    } catch (err) {
      if (!isQuiet(err)) setError(err as ErrorLike);
    } finally {
      setBusyId(null);
    }
  };

  const ids = new Set((items ?? []).map((e) => e.id));
  return (
    <>
      <h2>{t('responsible.title')}</h2>
      <p class="hint">{t('responsible.hint')}</p>
      {items === null && !error && <Loading text={t('responsible.loading')} testid="responsible-status" />}
      {items !== null && (
        <p class="muted" role="status" data-testid="responsible-status">
          {items.length ? t('responsible.count', { count: items.length }) : ''}
        </p>
      )}
      <ErrorNotice error={error} testid="responsible-error" />
      <DataTable
        id="responsible"
        caption={t('responsible.caption')}
        testid="responsible-list"
        bodyId="responsible-rows"
        hidden={!items?.length}
        columns={[...personColumns(t), { label: t('common.actions'), visuallyHidden: true }]}
      >
        {(items ?? []).map((e) => (
          <tr key={e.id} data-testid="responsible-row" data-employee-id={e.id}>
            <PersonCells employee={e} />
            <td class="cell-actions">
              {can('responsible:write') && (
                <button type="button" class="button-danger-quiet" data-testid="responsible-remove" aria-label={t('responsible.remove_label', { name: displayName(e) })} disabled={busyId === e.id} onClick={() => change(e, false)}>
                  {busyId === e.id ? t('responsible.removing') : t('responsible.remove')}
                </button>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
      {items !== null && !items.length && (
        <div class="empty" data-testid="responsible-empty">
          <p>{t('responsible.empty')}</p>
          {can('responsible:write') && (
            <p>
              <TabLink tab="employees">{t('responsible.empty_bulk')}</TabLink>
            </p>
          )}
        </div>
      )}
      {items !== null && items.length > 0 && <p class="muted">{t('responsible.total_shown', { count: items.length, shown: fmt.number(items.length) })}</p>}
      {can('responsible:write') && <AddOne searchRef={searchRef} onList={ids} busyId={busyId} onAdd={(e) => change(e, true)}/>}
    </>
  );
}

function AddOne(props: { searchRef: { current: HTMLInputElement | null }; onList: Set<string>; busyId: string | null; onAdd: (e: Employee) => void }) {
  const { api, t } = useConsole();
  const [q, setQ] = useState('');
  const [results, setResults] = useState<{ query: string; items: Employee[]; more: boolean } | null>(null);
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState<ErrorLike | null>(null);
  useEffect(() => {
    const query = cleanSearch(q);
    if (!query) {
      setResults(null);
      setSearching(false);
      return;
    }
    setSearching(true);
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api.request<Page<Employee>>('GET', '/employees', { query: { q: query, active: 'true', limit: 10 }, signal: controller.signal }).then(
        (page) => {
          setResults({ query, items: page.items, more: Boolean(page.nextCursor) });
          setError(null);
          setSearching(false);
        },
        (e: unknown) => {
          if (isQuiet(e)) return;
          setError(e as ErrorLike);
          setSearching(false);
        },
      );
    }, 300);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [q]);

  return (
    <section class="card stack" aria-labelledby="responsible-add-title">
      <h3 id="responsible-add-title">{t('responsible.add_title')}</h3>
      <form
        id="responsible-search-form"
        role="search"
        aria-label={t('responsible.find_label')}
        method="post"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
        }}
      >
        <div class="field">
          <label for="responsible-search">{t('responsible.find')}</label>
          <input ref={props.searchRef} id="responsible-search" type="search" placeholder={t('common.search_placeholder')} maxLength={100} autoComplete="off" data-testid="responsible-search" value={q} onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)} />
        </div>
      </form>
      <p class="loading" role="status">
        {searching ? t('responsible.searching') : results ? (results.items.length ? t('responsible.found', { count: results.items.length, more: results.more ? '+' : '' }) : t('responsible.found_none')) : ''}
      </p>
      <ErrorNotice error={error} />
      <ul id="responsible-results" class="result-list" data-testid="responsible-results" aria-busy={searching || undefined} data-query={results?.query ?? ''}>
        {(results?.items ?? []).map((e) => {
          const on = props.onList.has(e.id);
          return (
            <li key={e.id} data-testid="responsible-result" data-employee-id={e.id}>
              <PersonName employee={e} testid="employee-name" />
              {e.email && <span class="muted break"> {e.email}</span>}
              <button type="button" class="button-small" data-testid="responsible-add" data-employee-id={e.id} disabled={on || props.busyId === e.id} onClick={() => props.onAdd(e)}>
                {on ? t('responsible.on_list') : props.busyId === e.id ? t('responsible.adding') : t('responsible.add')}
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
