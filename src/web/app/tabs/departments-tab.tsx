import { useEffect, useMemo, useState } from 'preact/hooks';
import { isQuiet } from '../api';
import { DataTable } from '../components/data-table';
import { PersonCells, personColumns } from '../components/people';
import { Badge, ErrorNotice, Loading } from '../components/ui';
import { useDepartments } from '../components/use-departments';
import type { MessageKey } from '../i18n/i18n';
import { buildTree, countNodes, filterTree, type DepartmentNode } from '../logic/departments';
import type { ErrorLike } from '../logic/errors';
import { useConsole } from '../store';
import type { Department, Employee, Page } from '../types';

const PEOPLE_PAGE = 100;

/** The organization tree (issue 13): counts, heads and supervisors, search, and a department's people — its call group. */
export function DepartmentsTab() {
  const { t } = useConsole();
  const { items, error } = useDepartments();
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState<Department | null>(null);
  const tree = useMemo(() => (items ? buildTree(items) : []), [items]);
  const shown = useMemo(() => filterTree(tree, query), [tree, query]);
  const current = selected && items?.find((d) => d.id === selected.id);

  return (
    <>
      <h2>{t('departments.title')}</h2>
      <p class="hint">{t('departments.hint')}</p>
      {items === null && !error && <Loading text={t('departments.loading')} testid="departments-status" />}
      <ErrorNotice error={error} testid="departments-error" />
      {items !== null && !items.length && (
        <p class="empty" data-testid="departments-empty">
          {t('departments.none')}
        </p>
      )}
      {items !== null && items.length > 0 && (
        <div class="departments-layout">
          <section class="card stack" aria-labelledby="departments-tree-title">
            <h3 id="departments-tree-title">{t('departments.tree_title')}</h3>
            <form role="search" aria-label={t('departments.search_label')} onSubmit={(e) => e.preventDefault()}>
              <div class="field">
                <label for="departments-search">{t('departments.search')}</label>
                <input id="departments-search" type="search" maxLength={100} autoComplete="off" data-testid="departments-search" value={query} onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)} />
              </div>
            </form>
            <p class="muted" role="status" data-testid="departments-status">
              {query.trim() ? t('departments.found', { count: countNodes(shown) }) : t('departments.count', { count: items.length })}
            </p>
            <TreeList nodes={shown} depth={0} selectedId={current?.id ?? null} onSelect={setSelected} />
          </section>
          <section class="card stack" aria-labelledby="department-people-title" data-testid="department-people">
            {current ? <People department={current} /> : <h3 id="department-people-title">{t('departments.pick')}</h3>}
          </section>
        </div>
      )}
    </>
  );
}

function TreeList(props: { nodes: DepartmentNode[]; depth: number; selectedId: string | null; onSelect: (d: Department) => void }) {
  if (!props.nodes.length) return null;
  return (
    <ul class={props.depth === 0 ? 'dept-tree' : 'dept-children'} data-testid={props.depth === 0 ? 'department-tree' : undefined}>
      {props.nodes.map((n) => (
        <TreeItem key={n.department.id} node={n} depth={props.depth} selectedId={props.selectedId} onSelect={props.onSelect} />
      ))}
    </ul>
  );
}

function TreeItem(props: { node: DepartmentNode; depth: number; selectedId: string | null; onSelect: (d: Department) => void }) {
  const { t } = useConsole();
  const d = props.node.department;
  const current = props.selectedId === d.id;
  return (
    <li data-testid="department-node" data-department-id={d.id} data-kind={d.kind} data-bitrix24-id={d.bitrix24DepartmentId ?? ''}>
      <div class="dept-row">
        <button type="button" class="link-button dept-name" aria-pressed={current} data-testid="department-open" onClick={() => props.onSelect(d)}>
          {d.name}
        </button>
        <span class="muted" data-testid="department-count">
          {t('departments.people', { count: props.node.total })}
        </span>
        {!d.present && <Badge tone="neutral">{t('departments.absent')}</Badge>}
        {d.kind === 'bitrix24' && !d.inScope && <Badge tone="warn">{t('departments.not_synced')}</Badge>}
      </div>
      {d.kind === 'bitrix24' && (d.headName || d.supervisorName || d.headProblem) && (
        <p class="dept-heads muted">
          {d.headName && <span data-testid="department-head">{t('departments.head', { name: d.headName })}</span>}
          {!d.headName && d.headProblem && <span data-testid="department-head-problem">{t(HEAD_PROBLEM[d.headProblem] ?? 'departments.head_not_imported')}</span>}
          {d.supervisorName && <span data-testid="department-supervisor"> {t('departments.supervisor', { name: d.supervisorName })}</span>}
        </p>
      )}
      <TreeList nodes={props.node.children} depth={props.depth + 1} selectedId={props.selectedId} onSelect={props.onSelect} />
    </li>
  );
}

const HEAD_PROBLEM: Record<string, MessageKey> = {
  not_imported: 'departments.head_not_imported',
  out_of_scope: 'departments.head_out_of_scope',
  not_active: 'departments.head_not_active',
};

/** The call group: active people of the department, with its subdepartments by default. */
function People(props: { department: Department }) {
  const { api, t } = useConsole();
  const [branch, setBranch] = useState(true);
  const [rows, setRows] = useState<Employee[] | null>(null);
  const [total, setTotal] = useState(0);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<ErrorLike | null>(null);
  const load = async (from: string | null, signal?: AbortSignal) => {
    const page = await api.request<Page<Employee>>('GET', `/departments/${encodeURIComponent(props.department.id)}/employees`, {
      query: { includeSubdepartments: String(branch), state: 'active', limit: PEOPLE_PAGE, ...(from ? { cursor: from } : {}) },
      signal,
    });
    setRows((prev) => [...(from ? (prev ?? []) : []), ...page.items]);
    setTotal(page.total ?? page.items.length);
    setCursor(page.nextCursor);
    setError(null);
  };
  useEffect(() => {
    setRows(null);
    const controller = new AbortController();
    load(null, controller.signal).catch((e: unknown) => !isQuiet(e) && setError(e as ErrorLike));
    return () => controller.abort();
  }, [props.department.id, branch]);

  return (
    <>
      <h3 id="department-people-title">{t('departments.people_title', { name: props.department.name })}</h3>
      <div class="choice">
        <input type="checkbox" id="department-branch" data-testid="department-branch" checked={branch} onChange={(e) => setBranch((e.currentTarget as HTMLInputElement).checked)} />
        <label for="department-branch">{t('departments.include_sub')}</label>
      </div>
      {rows === null && !error && <Loading text={t('departments.loading_people')} />}
      <ErrorNotice error={error} />
      {rows !== null && (
        <p class="muted" role="status" data-testid="department-people-status">
          {t('departments.people_count', { count: total })}
        </p>
      )}
      <DataTable id="department-people" caption={t('departments.people_caption', { name: props.department.name })} testid="department-people-table" hidden={!rows?.length} columns={personColumns(t)}>
        {(rows ?? []).map((e) => (
          <tr key={e.id} data-testid="department-person" data-employee-id={e.id}>
            <PersonCells employee={e} />
          </tr>
        ))}
      </DataTable>
      {cursor && (
        <div class="more">
          <button type="button" data-testid="department-people-more" onClick={() => load(cursor).catch((e: unknown) => !isQuiet(e) && setError(e as ErrorLike))}>
            {t('departments.more')}
          </button>
        </div>
      )}
    </>
  );
}
