import { useEffect, useRef, useState } from 'preact/hooks';
import { isQuiet, userExclusionsPath } from '../api';
import { displayName } from '../logic/audit';
import type { ErrorLike } from '../logic/errors';
import { useConsole } from '../store';
import type { UserExclusion } from '../types';
import { DataTable } from './data-table';
import { ErrorNotice, Loading, Time } from './ui';
import { useUserDecisions } from './user-decisions';

type Row = UserExclusion & { connectionId: string };

/**
 * "Excluded from matching": every portal's Bitrix24 users the owner unlinked or asked never
 * to match (GET user-exclusions), each with "Allow matching again" (confirmed first).
 */
export function ExclusionsSection() {
  const { api, t, can, connections, dataVersion } = useConsole();
  const decide = useUserDecisions();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<ErrorLike | null>(null);
  const generation = useRef(0);

  useEffect(() => {
    const gen = ++generation.current;
    setError(null);
    Promise.all(connections.map((c) => api.request<UserExclusion[]>('GET', userExclusionsPath(c.id)).then((list) => list.map((x) => ({ ...x, connectionId: c.id }))))).then(
      (lists) => gen === generation.current && setRows(lists.flat()),
      (e: unknown) => gen === generation.current && !isQuiet(e) && setError(e as ErrorLike),
    );
  }, [connections, dataVersion]);

  if (!connections.length) return null;
  const multiPortal = connections.length > 1;
  const domain = (id: string) => connections.find((c) => c.id === id)?.domain ?? t('common.unknown_portal');
  const writable = can('employees:write');
  return (
    <section class="card stack-sm" aria-labelledby="exclusions-title" data-testid="exclusions">
      <h3 id="exclusions-title">{t('employees.exclusions_title')}</h3>
      <p class="muted">{t('employees.exclusions_intro')}</p>
      {rows === null && !error && <Loading text={t('employees.exclusions_loading')} />}
      <ErrorNotice error={error} testid="exclusions-error" />
      <ErrorNotice error={decide.error} testid="exclusions-action-error" />
      {rows !== null && !rows.length && (
        <p class="muted" data-testid="exclusions-empty">
          {t('employees.exclusions_none')}
        </p>
      )}
      <DataTable
        id="exclusions"
        caption={t('employees.exclusions_caption')}
        testid="exclusions-table"
        hidden={!rows?.length}
        columns={[
          t('employees.col_name'),
          t('history.col_bitrix24_id'),
          ...(multiPortal ? [t('data_access.portal')] : []),
          t('employees.col_excluded_at'),
          t('employees.col_excluded_by'),
          ...(writable ? [{ label: t('common.actions'), visuallyHidden: true }] : []),
        ]}
      >
        {(rows ?? []).map((x) => {
          const name = displayName(x.name);
          return (
            <tr key={`${x.connectionId}-${x.bitrix24UserId}`} data-testid="exclusion-row" data-bitrix24-user-id={x.bitrix24UserId} data-employee-id={x.employeeId ?? ''}>
              <td data-label={t('employees.col_name')}>{name ?? <span class="muted">{t('common.bitrix24_user', { id: x.bitrix24UserId })}</span>}</td>
              <td data-label={t('history.col_bitrix24_id')}>{String(x.bitrix24UserId)}</td>
              {multiPortal && (
                <td class="nowrap" data-label={t('data_access.portal')}>
                  {domain(x.connectionId)}
                </td>
              )}
              <td data-label={t('employees.col_excluded_at')}>
                <Time iso={x.createdAt} />
              </td>
              <td data-label={t('employees.col_excluded_by')}>{x.createdByKeyName ? <span class="break">{x.createdByKeyName}</span> : <span class="muted">—</span>}</td>
              {writable && (
                <td class="cell-actions">
                  <button type="button" data-testid="exclusion-allow" disabled={decide.busy} aria-busy={decide.busy || undefined} onClick={() => decide.allowMatching(x.connectionId, x.bitrix24UserId, name)}>
                    {t('employees.allow')}
                    <span class="visually-hidden"> {t('employees.allow_label', { id: x.bitrix24UserId })}</span>
                  </button>
                </td>
              )}
            </tr>
          );
        })}
      </DataTable>
    </section>
  );
}
