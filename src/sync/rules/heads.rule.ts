/**
 * Heads, supervisors and managers (issue 13, rule 3; seeds/000 "The department head in
 * Bitrix24 corresponds to the functional manager of the department … The parent department
 * head in Bitrix24 corresponds to the supervisor").
 *
 * - A department's head is the employee linked (link active) to its UF_HEAD user
 *   (api-reference/departments/department-get.md). A head who is not imported leaves the
 *   field empty with a reason: not_imported (no employee stands for that user: skipped,
 *   extranet, never returned), out_of_scope (outside the department selection) or
 *   not_active (dismissed or deleted in Bitrix24 — portals often keep a dismissed head in
 *   UF_HEAD, and calls must not be routed to someone who has left).
 * - Its supervisor is the head of the nearest ancestor that has a head (UF_HEAD set) who is
 *   another person: one director often heads both the company and a sub-department, and
 *   nobody is their own supervisor. If that ancestor's head is not imported, the supervisor
 *   is empty too (the ancestor's head problem says why).
 * - An employee's manager is the head of their first department in UF_DEPARTMENT (Bitrix24
 *   order); for the head of that department it is the department's supervisor. A first
 *   department without a head (no UF_HEAD) hands its members to its supervisor: the nearest
 *   head above them.
 * - "Sync managers" off: no heads, no supervisors, no managers, no problems.
 */
import type { LinkState } from './link-state.rule';
import { ancestorsOf } from './department-tree.rule';

export type HeadProblem = 'not_imported' | 'out_of_scope' | 'not_active';

export interface HeadDepartment {
  bitrix24Id: number;
  headUserId: number | null;
}

/** Who a Bitrix24 user of this portal is on our side (from the links). */
export interface LinkedPerson {
  employeeId: string;
  state: LinkState;
}

export interface DepartmentHeads {
  headEmployeeId: string | null;
  supervisorEmployeeId: string | null;
  /** Why headEmployeeId is empty although UF_HEAD names someone. */
  headProblem: HeadProblem | null;
  /** The manager of a member who is not the head. */
  membersManagerId: string | null;
}

const NONE: DepartmentHeads = Object.freeze({ headEmployeeId: null, supervisorEmployeeId: null, headProblem: null, membersManagerId: null });

export function resolveHead(headUserId: number | null, people: ReadonlyMap<number, LinkedPerson>): { employeeId: string | null; problem: HeadProblem | null } {
  if (headUserId === null) return { employeeId: null, problem: null };
  const person = people.get(headUserId);
  if (!person) return { employeeId: null, problem: 'not_imported' };
  if (person.state === 'active') return { employeeId: person.employeeId, problem: null };
  return { employeeId: null, problem: person.state === 'out_of_scope' ? 'out_of_scope' : 'not_active' };
}

/** Heads of every department of one portal. `parents` comes from treeParents(). */
export function resolveHeads(departments: HeadDepartment[], parents: ReadonlyMap<number, number | null>, people: ReadonlyMap<number, LinkedPerson>, syncManagers: boolean): Map<number, DepartmentHeads> {
  const out = new Map<number, DepartmentHeads>();
  if (!syncManagers) {
    for (const d of departments) out.set(d.bitrix24Id, NONE);
    return out;
  }
  const headUser = new Map(departments.map((d) => [d.bitrix24Id, d.headUserId]));
  const head = new Map(departments.map((d) => [d.bitrix24Id, resolveHead(d.headUserId, people)]));
  for (const d of departments) {
    const own = head.get(d.bitrix24Id)!;
    const above = ancestorsOf(d.bitrix24Id, parents).find((a) => {
      const u = headUser.get(a) ?? null;
      return u !== null && u !== d.headUserId;
    });
    const supervisorEmployeeId = above === undefined ? null : (head.get(above)?.employeeId ?? null);
    out.set(d.bitrix24Id, {
      headEmployeeId: own.employeeId,
      supervisorEmployeeId: supervisorEmployeeId === own.employeeId ? null : supervisorEmployeeId,
      headProblem: own.problem,
      membersManagerId: d.headUserId === null ? supervisorEmployeeId : own.employeeId,
    });
  }
  return out;
}

/** An employee's manager from their first department's heads (null: none, or themselves). */
export function managerOf(employeeId: string, firstDepartment: DepartmentHeads | undefined): string | null {
  if (!firstDepartment) return null;
  const manager = firstDepartment.headEmployeeId === employeeId ? firstDepartment.supervisorEmployeeId : firstDepartment.membersManagerId;
  return manager === employeeId ? null : manager;
}
