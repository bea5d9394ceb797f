/**
 * The organization tree (issue 13, rule 1; seeds/000 "several Bitrix24 accounts … the company
 * name is created as a root department. The org chart of each Bitrix24 account is added as a
 * separate child department within the root department").
 *
 * - One root per account, named after the account.
 * - One portal node per connection under the root, named after the portal's company, else its domain.
 * - The portal's departments beneath it as department.get returns them (ID, NAME, PARENT,
 *   UF_HEAD, SORT: api-reference/departments/department-get.md). Bitrix24's own top department
 *   (no PARENT) hangs under the portal node.
 * - Renamed and moved departments follow Bitrix24. A department a complete export no longer
 *   returns is kept and marked absent, never deleted (people may still point at it; history
 *   joins up if it comes back).
 *
 * Every field is hostile input: IDs must be positive integers, names are trimmed and cut, a
 * PARENT that names no known department, the department itself, or closes a loop is read as
 * "no parent" so the tree stays a tree whatever the portal sends.
 */
import type { Bitrix24Department } from '../../bitrix24/bitrix24-user';

export const DEPARTMENT_NAME_MAX = 300;

/** A department as the import keeps it (one portal). */
export interface CleanDepartment {
  bitrix24Id: number;
  name: string;
  /** PARENT as Bitrix24 sent it (null: a top department). */
  bitrix24ParentId: number | null;
  sort: number | null;
  headUserId: number | null;
}

export interface StoredDepartment extends CleanDepartment {
  present: boolean;
}

export type DepartmentChangeKind = 'created' | 'renamed' | 'moved' | 'absent' | 'returned';

export interface DepartmentChange {
  kind: DepartmentChangeKind;
  bitrix24Id: number;
  name: string;
  details: Record<string, unknown> | null;
}

export interface DepartmentTreePlan {
  /** New or changed departments, to upsert as present. */
  upserts: CleanDepartment[];
  /** Present departments the complete export no longer returned: marked absent. */
  absent: number[];
  changes: DepartmentChange[];
}

const positiveInt = (value: unknown): number | null => {
  if (value === null || value === undefined || value === '' || typeof value === 'boolean' || typeof value === 'object') return null;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
};

const integer = (value: unknown): number | null => {
  if (value === null || value === undefined || value === '' || typeof value === 'boolean' || typeof value === 'object') return null;
  const n = Number(value);
  return Number.isSafeInteger(n) && Math.abs(n) <= 2_147_483_647 ? n : null;
};

/**
 * department.get rows made safe: rows without a positive integer ID are dropped, the first
 * of duplicate IDs wins, a PARENT equal to the department's own ID is no parent, an empty
 * name becomes "Department #ID" (a node must be nameable on the page).
 */
export function cleanDepartments(raw: Bitrix24Department[]): CleanDepartment[] {
  const seen = new Set<number>();
  const out: CleanDepartment[] = [];
  for (const row of raw) {
    if (!row || typeof row !== 'object') continue;
    const id = positiveInt(row.ID);
    if (id === null || seen.has(id)) continue;
    seen.add(id);
    const name = typeof row.NAME === 'string' || typeof row.NAME === 'number' ? String(row.NAME).trim().slice(0, DEPARTMENT_NAME_MAX) : '';
    const parent = positiveInt(row.PARENT);
    out.push({ bitrix24Id: id, name: name || `Department #${id}`, bitrix24ParentId: parent === id ? null : parent, sort: integer(row.SORT), headUserId: positiveInt(row.UF_HEAD) });
  }
  return out;
}

/**
 * Compares what is stored with what a complete export returned. `complete` false (the
 * export broke off) upserts what arrived but marks nothing absent: a missing page proves
 * nothing.
 */
export function planDepartmentTree(stored: StoredDepartment[], fetched: CleanDepartment[], complete: boolean): DepartmentTreePlan {
  const before = new Map(stored.map((d) => [d.bitrix24Id, d]));
  const plan: DepartmentTreePlan = { upserts: [], absent: [], changes: [] };
  const returned = new Set<number>();
  for (const d of fetched) {
    returned.add(d.bitrix24Id);
    const old = before.get(d.bitrix24Id);
    if (!old) {
      plan.upserts.push(d);
      plan.changes.push({ kind: 'created', bitrix24Id: d.bitrix24Id, name: d.name, details: { bitrix24ParentId: d.bitrix24ParentId } });
      continue;
    }
    const changed = old.name !== d.name || old.bitrix24ParentId !== d.bitrix24ParentId || old.sort !== d.sort || old.headUserId !== d.headUserId || !old.present;
    if (changed) plan.upserts.push(d);
    if (!old.present) plan.changes.push({ kind: 'returned', bitrix24Id: d.bitrix24Id, name: d.name, details: null });
    if (old.name !== d.name) plan.changes.push({ kind: 'renamed', bitrix24Id: d.bitrix24Id, name: d.name, details: { from: old.name, to: d.name } });
    if (old.bitrix24ParentId !== d.bitrix24ParentId) {
      plan.changes.push({ kind: 'moved', bitrix24Id: d.bitrix24Id, name: d.name, details: { fromBitrix24ParentId: old.bitrix24ParentId, toBitrix24ParentId: d.bitrix24ParentId } });
    }
  }
  if (complete) {
    for (const old of stored) {
      if (old.present && !returned.has(old.bitrix24Id)) {
        plan.absent.push(old.bitrix24Id);
        plan.changes.push({ kind: 'absent', bitrix24Id: old.bitrix24Id, name: old.name, details: null });
      }
    }
  }
  return plan;
}

/**
 * The portal's departments once a complete export is stored: the ones it returned as it
 * returned them, plus the absent ones, which keep their place (their children may still
 * hang under them).
 */
export function departmentsAfterExport<T extends CleanDepartment>(stored: T[], fetched: CleanDepartment[]): Array<T | CleanDepartment> {
  const returned = new Set(fetched.map((d) => d.bitrix24Id));
  return [...stored.filter((d) => !returned.has(d.bitrix24Id)), ...fetched];
}

/**
 * Where each department hangs in our tree: its Bitrix24 parent when that is a department
 * of the same portal (present or absent: an absent parent keeps its children until
 * Bitrix24 moves them), else null = directly under the portal node. A loop (A under B
 * under A — Bitrix24 refuses it, a hostile portal may still send it) is cut at the
 * department with the lowest ID on the loop, which then hangs under the portal node.
 */
export function treeParents(departments: Array<Pick<CleanDepartment, 'bitrix24Id' | 'bitrix24ParentId'>>): Map<number, number | null> {
  const parent = new Map<number, number | null>();
  for (const d of departments) parent.set(d.bitrix24Id, d.bitrix24ParentId);
  for (const [id, p] of parent) if (p !== null && !parent.has(p)) parent.set(id, null);
  // 0 = not visited, 1 = on the current path, 2 = done
  const mark = new Map<number, number>();
  for (const start of parent.keys()) {
    if (mark.get(start)) continue;
    const path: number[] = [];
    let at: number | null = start;
    while (at !== null && !mark.get(at)) {
      mark.set(at, 1);
      path.push(at);
      at = parent.get(at) ?? null;
    }
    if (at !== null && mark.get(at) === 1) {
      const loop = path.slice(path.indexOf(at));
      parent.set(Math.min(...loop), null);
    }
    for (const id of path) mark.set(id, 2);
  }
  return parent;
}

/** Ancestors of a department, nearest first (the department itself excluded). */
export function ancestorsOf(id: number, parents: ReadonlyMap<number, number | null>): number[] {
  const out: number[] = [];
  let at = parents.get(id) ?? null;
  while (at !== null && out.length <= parents.size) {
    out.push(at);
    at = parents.get(at) ?? null;
  }
  return out;
}

/** The portal node's name: the portal's company, else its domain (issue 13, rule 1). */
export function portalNodeName(companyName: string | null | undefined, domain: string): string {
  const company = typeof companyName === 'string' ? companyName.trim().slice(0, DEPARTMENT_NAME_MAX) : '';
  return company || domain;
}
