import { useMemo, useState } from 'preact/hooks';
import { buildTree, scopePatch, selectionMark, toggleSelection, type DepartmentNode } from '../logic/departments';
import { useConsole } from '../store';
import type { Connection } from '../types';
import { useAction } from './use-async';
import { ErrorNotice, Loading, Notice } from './ui';
import { useDepartments } from './use-departments';

/**
 * Data Access → Departments (issue 13): all departments or a selection (a ticked department
 * includes its subdepartments), "include new departments automatically" and "sync managers".
 * Saving a different selection starts a full synchronization (the service queues it).
 */
export function DepartmentSelection(props: {
  connection: Connection;
  /** Starts a preview with a selection that is not saved yet; absent while a run is in flight or previews are not allowed. */
  onPreview?: (departmentScope: unknown) => Promise<unknown>;
}) {
  const { api, t, can, refreshConnections } = useConsole();
  const c = props.connection;
  const scope = c.settings.departmentScope ?? { mode: 'all', bitrix24DepartmentIds: [], includeNewDepartments: true };
  const current = { mode: scope.mode, bitrix24DepartmentIds: [...scope.bitrix24DepartmentIds].sort((a, b) => a - b), includeNewDepartments: scope.includeNewDepartments, syncManagers: c.settings.syncManagers ?? true };
  const [mode, setMode] = useState<'all' | 'selected'>(scope.mode === 'selected' ? 'selected' : 'all');
  const [ids, setIds] = useState<number[]>(current.bitrix24DepartmentIds);
  const [includeNew, setIncludeNew] = useState(scope.includeNewDepartments);
  const [managers, setManagers] = useState(current.syncManagers);
  const [status, setStatus] = useState('');
  const save = useAction();
  const editable = can('connections:manage');
  const { items, error } = useDepartments(c.id);
  // The picker shows the portal's own departments: the portal node's children.
  const roots = useMemo(() => buildTree((items ?? []).filter((d) => d.kind === 'bitrix24')), [items]);
  const selected = new Set(ids);

  const form = { mode, bitrix24DepartmentIds: ids, includeNewDepartments: includeNew, syncManagers: managers };
  // Before applying a different selection, the owner may see what it would do (issue 14).
  const proposedScope = scopePatch(current, form)?.departmentScope;
  const preview = async () => {
    if (!props.onPreview || !proposedScope) return;
    await props.onPreview(proposedScope);
    setStatus(t('scope.preview_started'));
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const body = scopePatch(current, form);
    if (!body) {
      setStatus(t('settings.nothing_changed'));
      return;
    }
    setStatus('');
    await save.run(async () => {
      await api.request<Connection>('PATCH', `/bitrix24/connections/${encodeURIComponent(c.id)}`, { body });
      await refreshConnections();
      setStatus(c.state === 'active' ? t('scope.saved_sync') : t('settings.saved'));
    });
  };

  return (
    <section class="card stack" aria-labelledby="scope-title" data-testid="scope-editor">
      <h3 id="scope-title">{t('scope.title')}</h3>
      {!editable && <Notice tone="info">{t('settings.read_only')}</Notice>}
      <form id="scope-form" class="stack" method="post" noValidate onSubmit={submit}>
        <fieldset class="stack-sm">
          <legend>{t('scope.which')}</legend>
          <div class="choice">
            <input type="radio" name="scopeMode" id="scope-all" value="all" data-testid="scope-all" disabled={!editable} checked={mode === 'all'} onChange={() => setMode('all')} />
            <label for="scope-all">{t('scope.all')}</label>
          </div>
          <div class="choice">
            <input type="radio" name="scopeMode" id="scope-selected" value="selected" data-testid="scope-selected" disabled={!editable} checked={mode === 'selected'} onChange={() => setMode('selected')} />
            <label for="scope-selected">{t('scope.selected')}</label>
          </div>
        </fieldset>
        {mode === 'selected' && (
          <fieldset class="stack-sm" data-testid="scope-tree">
            <legend>{t('scope.tree')}</legend>
            {items === null && !error && <Loading text={t('departments.loading')} />}
            <ErrorNotice error={error} />
            {items !== null && !roots.length && <p class="muted">{t('scope.no_departments')}</p>}
            <CheckList nodes={roots} ancestors={[]} selected={selected} disabled={!editable} onToggle={(n) => setIds(toggleSelection(selected, n))} />
            <p class="muted" role="status" data-testid="scope-count">
              {t('scope.count', { count: ids.length })}
            </p>
            <div class="choice">
              <input type="checkbox" id="scope-include-new" data-testid="scope-include-new" disabled={!editable} checked={includeNew} onChange={(e) => setIncludeNew((e.currentTarget as HTMLInputElement).checked)} />
              <label for="scope-include-new">{t('scope.include_new')}</label>
            </div>
          </fieldset>
        )}
        <div class="choice">
          <input type="checkbox" id="scope-managers" data-testid="scope-managers" aria-describedby="scope-managers-hint" disabled={!editable} checked={managers} onChange={(e) => setManagers((e.currentTarget as HTMLInputElement).checked)} />
          <label for="scope-managers">{t('scope.sync_managers')}</label>
        </div>
        <p class="hint" id="scope-managers-hint">
          {t('scope.sync_managers_hint')}
        </p>
        <ErrorNotice error={save.error} testid="scope-error" />
        {editable && (
          <div class="form-actions">
            <button type="submit" class="button-primary" data-testid="scope-save" disabled={save.busy}>
              {save.busy ? t('settings.saving') : t('scope.save')}
            </button>
            {props.onPreview && proposedScope !== undefined && (
              <button type="button" data-testid="scope-preview" disabled={save.busy} onClick={() => void preview()}>
                {t('scope.preview')}
              </button>
            )}
            <span class="muted" role="status" data-testid="scope-status">
              {status}
            </span>
          </div>
        )}
      </form>
    </section>
  );
}

function CheckList(props: { nodes: DepartmentNode[]; ancestors: number[]; selected: ReadonlySet<number>; disabled: boolean; onToggle: (n: DepartmentNode) => void }) {
  const { t } = useConsole();
  if (!props.nodes.length) return null;
  return (
    <ul class="dept-checks">
      {props.nodes.map((n) => {
        const id = n.department.bitrix24DepartmentId ?? 0;
        const mark = selectionMark(id, props.ancestors, props.selected);
        const inputId = `scope-dept-${n.department.id}`;
        return (
          <li key={n.department.id} data-testid="scope-node" data-bitrix24-id={id} data-mark={mark}>
            <div class="choice">
              <input type="checkbox" id={inputId} data-testid="scope-check" checked={mark !== 'none'} disabled={props.disabled || mark === 'inherited'} onChange={() => props.onToggle(n)} />
              <label for={inputId}>
                {n.department.name}
                {mark === 'inherited' && <span class="muted"> {t('scope.included')}</span>}
                {!n.department.present && <span class="muted"> {t('departments.absent')}</span>}
              </label>
            </div>
            <CheckList nodes={n.children} ancestors={[id, ...props.ancestors]} selected={props.selected} disabled={props.disabled} onToggle={props.onToggle} />
          </li>
        );
      })}
    </ul>
  );
}
