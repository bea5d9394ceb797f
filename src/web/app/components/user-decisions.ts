import { userExclusionsPath, userLinkPath } from '../api';
import { useConsole } from '../store';
import { useAction } from './use-async';

export interface UserDecisions {
  busy: boolean;
  error: ReturnType<typeof useAction>['error'];
  /**
   * Unlinks a Bitrix24 user and keeps them from being matched again (DELETE user-links), after
   * the owner confirmed what it does. `employeeName` is the employee they stand for (kept);
   * without one it is "never match" for a person the import skipped. true once done.
   */
  unlink(connectionId: string, bitrix24UserId: number, employeeName?: string | null): Promise<boolean>;
  /** Lifts an exclusion (DELETE user-exclusions), confirmed first: the next run matches the user again. */
  allowMatching(connectionId: string, bitrix24UserId: number, person?: string | null): Promise<boolean>;
}

/**
 * The owner's decisions about one Bitrix24 user, the same wherever they are offered (the
 * skipped list, the Employees tab, the exclusions list): each says what it will do and asks
 * first, then the lists reload.
 */
export function useUserDecisions(): UserDecisions {
  const { api, t, confirm, flash, dataChanged, connections } = useConsole();
  const action = useAction();
  const portal = (connectionId: string) => connections.find((c) => c.id === connectionId)?.domain ?? t('common.unknown_portal');

  const unlink = async (connectionId: string, id: number, employeeName?: string | null): Promise<boolean> => {
    const ok = employeeName
      ? await confirm({
          title: 'employees.unlink_title',
          titleVars: { name: employeeName },
          lines: [
            { key: 'employees.unlink_line_kept', vars: { name: employeeName } },
            { key: 'employees.unlink_line_excluded', vars: { id, portal: portal(connectionId) } },
            { key: 'employees.unlink_line_count' },
          ],
          confirm: 'employees.unlink_confirm',
          danger: true,
        })
      : await confirm({ title: 'review.exclude_title', titleVars: { id }, lines: [{ key: 'review.exclude_line_skip' }, { key: 'review.exclude_line_employee' }], confirm: 'review.exclude_confirm', danger: true });
    if (!ok) return false;
    if (!(await action.run(() => api.request('DELETE', userLinkPath(connectionId, id))))) return false;
    flash(employeeName ? t('employees.unlink_done', { name: employeeName, id }) : t('review.exclude_done', { id }), 'ok');
    dataChanged();
    return true;
  };

  const allowMatching = async (connectionId: string, id: number, person?: string | null): Promise<boolean> => {
    const ok = await confirm({
      title: 'employees.allow_title',
      titleVars: { id },
      lines: [{ key: 'employees.allow_line_next', vars: { person: person || t('common.bitrix24_user', { id }) } }, { key: 'employees.allow_line_now' }],
      confirm: 'employees.allow_confirm',
    });
    if (!ok) return false;
    if (!(await action.run(() => api.request('DELETE', userExclusionsPath(connectionId, id))))) return false;
    flash(t('review.include_done', { id }), 'ok');
    dataChanged();
    return true;
  };

  return { busy: action.busy, error: action.error, unlink, allowMatching };
}
