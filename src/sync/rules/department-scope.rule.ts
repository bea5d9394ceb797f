/**
 * Which departments a connection imports (issue 13, rule 2; seeds/000 "Select the departments
 * you want to sync. Then, choose whether to synchronize new departments automatically").
 *
 * - mode "all": every department, always (a standing choice: new departments are part of
 *   "all", so includeNewDepartments changes nothing).
 * - mode "selected": a department is in scope when it, or one of its ancestors, is selected
 *   (a selected department includes its subdepartments) — unless it is *new*: first seen
 *   after the selection was saved. A new department is in scope exactly when
 *   includeNewDepartments is on, wherever it appears; with it off it waits until the owner
 *   ticks it, even under a selected department (that is what "off" is for: the owner
 *   approves every department that appeared since). A department the owner listed
 *   explicitly is always in scope, new or not (a selection saved through the API before
 *   the first import names departments nobody had seen yet).
 * - A user is in scope when at least one of their departments is. A department ID that
 *   department.get did not return is treated as a new department. A user with no
 *   department at all (extranet) is not judged by the selection: the extranet setting and
 *   the required-fields rule decide about them.
 */
import { ancestorsOf } from './department-tree.rule';

export interface DepartmentScope {
  mode: 'all' | 'selected';
  bitrix24DepartmentIds: number[];
  includeNewDepartments: boolean;
}

export const ALL_DEPARTMENTS: DepartmentScope = Object.freeze({ mode: 'all', bitrix24DepartmentIds: [], includeNewDepartments: true }) as DepartmentScope;

export interface ScopeDepartment {
  bitrix24Id: number;
  firstSeenAt: Date;
}

/** The Bitrix24 IDs of the departments in scope. `parents` comes from treeParents(). */
export function departmentsInScope(departments: ScopeDepartment[], parents: ReadonlyMap<number, number | null>, scope: DepartmentScope, savedAt: Date | null): Set<number> {
  if (scope.mode === 'all') return new Set(departments.map((d) => d.bitrix24Id));
  const selected = new Set(scope.bitrix24DepartmentIds);
  const firstSeen = new Map(departments.map((d) => [d.bitrix24Id, d.firstSeenAt]));
  const isNew = (id: number) => savedAt !== null && (firstSeen.get(id)?.getTime() ?? Number.POSITIVE_INFINITY) > savedAt.getTime();
  const out = new Set<number>();
  for (const d of departments) {
    const id = d.bitrix24Id;
    if (selected.has(id)) out.add(id);
    else if (isNew(id)) {
      if (scope.includeNewDepartments) out.add(id);
    } else if (ancestorsOf(id, parents).some((a) => selected.has(a))) out.add(id);
  }
  return out;
}

/**
 * Whether a user with these departments is imported. `known` holds every department the
 * portal returned; an unknown ID counts as a new department.
 */
export function isUserInDepartmentScope(userDepartmentIds: number[], inScope: ReadonlySet<number>, known: ReadonlySet<number>, scope: DepartmentScope): boolean {
  if (scope.mode === 'all' || userDepartmentIds.length === 0) return true;
  const selected = new Set(scope.bitrix24DepartmentIds);
  return userDepartmentIds.some((id) => inScope.has(id) || (!known.has(id) && (selected.has(id) || scope.includeNewDepartments)));
}

/** Parses a stored or submitted scope; anything malformed reads as "all" (never silently nothing). */
export function readDepartmentScope(value: unknown): DepartmentScope {
  if (!value || typeof value !== 'object') return ALL_DEPARTMENTS;
  const v = value as Record<string, unknown>;
  if (v.mode !== 'selected') return ALL_DEPARTMENTS;
  const ids = Array.isArray(v.bitrix24DepartmentIds) ? v.bitrix24DepartmentIds.filter((n): n is number => Number.isSafeInteger(n) && (n as number) > 0) : [];
  return { mode: 'selected', bitrix24DepartmentIds: [...new Set(ids)].sort((a, b) => a - b), includeNewDepartments: v.includeNewDepartments === true };
}

/** Whether two scopes select the same people (a change queues a full run). */
export function sameDepartmentScope(a: DepartmentScope, b: DepartmentScope): boolean {
  if (a.mode !== b.mode) return false;
  if (a.mode === 'all') return true;
  return a.includeNewDepartments === b.includeNewDepartments && a.bitrix24DepartmentIds.length === b.bitrix24DepartmentIds.length && a.bitrix24DepartmentIds.every((id, i) => id === b.bitrix24DepartmentIds[i]);
}
