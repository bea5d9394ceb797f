import type { MessageKey, Vars } from '../i18n/i18n';
import type { Employee, EmployeeLink } from '../types';

export type LinkFilter = '' | 'unlinked' | 'active' | 'dismissed' | 'deleted';
export type EmployeeSort = 'name' | '-name' | 'email' | '-email' | 'created' | '-created';

/** The Employees tab's filters (1C-style, seeds/003), as the page holds them. */
export interface EmployeeFilters {
  q: string;
  linkState: LinkFilter;
  source: '' | 'bitrix24' | 'manual';
  active: '' | 'true' | 'false';
}

export const NO_FILTERS: EmployeeFilters = { q: '', linkState: '', source: '', active: '' };

/** Search text as the API accepts it: one line, no control characters, at most 100 characters. */
export const cleanSearch = (q: string): string => q.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 100);

/** The filters as API parameters (query string for the list and CSV, JSON for the bulk add). */
export function filterParams(f: EmployeeFilters): Record<string, string> {
  const params: Record<string, string> = {};
  const q = cleanSearch(f.q);
  if (q) params.q = q;
  if (f.linkState) params.bitrix24State = f.linkState;
  if (f.source) params.source = f.source;
  if (f.active) params.active = f.active;
  return params;
}

export function bulkBody(f: EmployeeFilters): Record<string, unknown> {
  const p = filterParams(f);
  const body: Record<string, unknown> = {};
  if (p.q) body.q = p.q;
  if (p.bitrix24State) body.bitrix24State = [p.bitrix24State];
  if (p.source) body.source = p.source;
  if (p.active) body.active = p.active === 'true';
  return body;
}

export const isFiltered = (f: EmployeeFilters): boolean => Object.keys(filterParams(f)).length > 0;

export function queryString(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const exportPath = (f: EmployeeFilters, sort: EmployeeSort): string => `/employees/export.csv${queryString({ ...filterParams(f), sort })}`;

/** Clicking a column header: the same column flips its direction, another starts ascending. */
export function nextSort(current: EmployeeSort, column: 'name' | 'email' | 'created'): EmployeeSort {
  if (current === column) return `-${column}` as EmployeeSort;
  return column;
}

export function sortState(current: EmployeeSort, column: 'name' | 'email' | 'created'): 'ascending' | 'descending' | 'none' {
  if (current === column) return 'ascending';
  if (current === `-${column}`) return 'descending';
  return 'none';
}

/**
 * A link whose state could puzzle an owner, explained: a Dismissed link next to an Active
 * employee is right (the import never deactivates anyone, seeds/002; the person left the
 * responsible list instead).
 */
export function linkExplanation(e: Pick<Employee, 'active'>, link: Pick<EmployeeLink, 'state' | 'stateSince'>, formatDate: (iso: string) => string): { key: MessageKey; vars: Vars } | null {
  const since = formatDate(link.stateSince);
  if (link.state === 'dismissed') return { key: e.active ? 'employees.link_dismissed_active' : 'employees.link_dismissed', vars: { since } };
  if (link.state === 'deleted') return { key: e.active ? 'employees.link_deleted_active' : 'employees.link_deleted', vars: { since } };
  return null;
}
