import type { Department } from '../types';

/** One node of the organization tree as the page draws it. */
export interface DepartmentNode {
  department: Department;
  children: DepartmentNode[];
  /** People in this department and every department beneath (a person in two of them counts twice). */
  total: number;
}

const KIND_ORDER: Record<string, number> = { root: 0, portal: 1, bitrix24: 2 };
const byName = (a: DepartmentNode, b: DepartmentNode) =>
  (KIND_ORDER[a.department.kind] ?? 3) - (KIND_ORDER[b.department.kind] ?? 3) || a.department.name.localeCompare(b.department.name) || a.department.id.localeCompare(b.department.id);

/**
 * The tree from GET /departments (all pages): children under their parentId, by name. A
 * department whose parent is missing from the list (filtered out, or a later page) becomes
 * a root, so nothing is ever hidden. A loop in the data cannot hang the page: each
 * department is placed once.
 */
export function buildTree(items: Department[]): DepartmentNode[] {
  const nodes = new Map(items.map((d) => [d.id, { department: d, children: [], total: d.employeeCount } as DepartmentNode]));
  const roots: DepartmentNode[] = [];
  // Edges placed so far: a new edge that would lead back to its own child is refused.
  const placed = new Map<string, string>();
  const leadsTo = (from: string, target: string): boolean => {
    for (let at: string | undefined = from, steps = 0; at !== undefined && steps <= placed.size; at = placed.get(at), steps++) if (at === target) return true;
    return false;
  };
  for (const node of nodes.values()) {
    const id = node.department.id;
    const parent = node.department.parentId ? nodes.get(node.department.parentId) : undefined;
    if (parent && !leadsTo(parent.department.id, id)) {
      parent.children.push(node);
      placed.set(id, parent.department.id);
    } else roots.push(node);
  }
  const finish = (list: DepartmentNode[]): number => {
    list.sort(byName);
    let sum = 0;
    for (const n of list) {
      n.total = n.department.employeeCount + finish(n.children);
      sum += n.total;
    }
    return sum;
  };
  finish(roots);
  return roots;
}

/** Departments whose name contains the query, with their ancestors (for context) and everything beneath them. */
export function filterTree(roots: DepartmentNode[], query: string): DepartmentNode[] {
  const q = query.trim().toLocaleLowerCase();
  if (!q) return roots;
  const walk = (list: DepartmentNode[]): DepartmentNode[] =>
    list.flatMap((n) => {
      if (n.department.name.toLocaleLowerCase().includes(q)) return [n];
      const children = walk(n.children);
      return children.length ? [{ ...n, children }] : [];
    });
  return walk(roots);
}

/** How many departments a (filtered) tree shows. */
export function countNodes(roots: DepartmentNode[]): number {
  return roots.reduce((sum, n) => sum + 1 + countNodes(n.children), 0);
}

export type SelectionMark = 'selected' | 'inherited' | 'none';

/** A checkbox of the selection editor: ticked itself, ticked through a ticked ancestor, or not. */
export function selectionMark(bitrix24Id: number, ancestors: number[], selected: ReadonlySet<number>): SelectionMark {
  if (selected.has(bitrix24Id)) return 'selected';
  return ancestors.some((a) => selected.has(a)) ? 'inherited' : 'none';
}

/**
 * Ticking a department selects it (and drops its descendants' own ticks: they are included
 * anyway); unticking removes it. Returns the new selection, sorted.
 */
export function toggleSelection(selected: ReadonlySet<number>, node: DepartmentNode): number[] {
  const id = node.department.bitrix24DepartmentId;
  if (id === null) return [...selected].sort((a, b) => a - b);
  const next = new Set(selected);
  if (next.has(id)) next.delete(id);
  else {
    next.add(id);
    const drop = (n: DepartmentNode) =>
      n.children.forEach((c) => {
        if (c.department.bitrix24DepartmentId !== null) next.delete(c.department.bitrix24DepartmentId);
        drop(c);
      });
    drop(node);
  }
  return [...next].sort((a, b) => a - b);
}

/** The PATCH body for the selection editor, or null when nothing changed. */
export function scopePatch(
  current: { mode: string; bitrix24DepartmentIds: number[]; includeNewDepartments: boolean; syncManagers: boolean },
  form: { mode: 'all' | 'selected'; bitrix24DepartmentIds: number[]; includeNewDepartments: boolean; syncManagers: boolean },
): Record<string, unknown> | null {
  const body: Record<string, unknown> = {};
  const sameIds = current.bitrix24DepartmentIds.length === form.bitrix24DepartmentIds.length && current.bitrix24DepartmentIds.every((id, i) => id === form.bitrix24DepartmentIds[i]);
  const sameScope = form.mode === 'all' ? current.mode === 'all' : current.mode === 'selected' && sameIds && current.includeNewDepartments === form.includeNewDepartments;
  if (!sameScope) {
    body.departmentScope = form.mode === 'all' ? { mode: 'all' } : { mode: 'selected', bitrix24DepartmentIds: form.bitrix24DepartmentIds, includeNewDepartments: form.includeNewDepartments };
  }
  if (form.syncManagers !== current.syncManagers) body.syncManagers = form.syncManagers;
  return Object.keys(body).length ? body : null;
}
