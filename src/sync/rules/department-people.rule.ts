/**
 * The department phase's plan for a portal's people (issue 13 rule 3, issue 14): heads,
 * supervisors, managers and what the run report says about them — decided once, from the
 * tree and the portal's links. A real run plans it from what it wrote and writes the plan;
 * a preview plans it from what it would have written (plannedPortalPeople) and only
 * reports it, so both report the same.
 *
 * Report items (work in proportion to change, issue 12: an unchanged re-sync reports none):
 * - head_unresolved: a department's head is empty although UF_HEAD names someone, reported
 *   when the reason is new or different from the one stored (the run report says why).
 * - manager_changed: an employee's manager (managerId) changed. Not for an employee this run
 *   created: its "created" item stands for every field of the new record, manager included.
 */
import type { RunItem } from '../sync-run.types';
import { treeParents } from './department-tree.rule';
import { DepartmentHeads, HeadDepartment, HeadProblem, LinkedPerson, managerOf, resolveHeads } from './heads.rule';
import type { LinkState } from './link-state.rule';

export interface PeopleDepartment extends HeadDepartment {
  name: string;
  bitrix24ParentId: number | null;
  /** The reason stored by the last run (null for a new department). */
  headProblem: HeadProblem | null;
}

/** One link of this portal, as the department phase needs it. */
export interface PortalPerson {
  bitrix24UserId: number;
  employeeId: string;
  state: LinkState;
  /** UF_DEPARTMENT[0]: the department that decides the manager (null: none). */
  firstDepartmentId: number | null;
  /** The employee's manager now (employee.manager_id). */
  managerId: string | null;
  /**
   * The employee has an older live link on another portal: that portal sets the manager
   * (an employee of two portals takes the manager of the portal they were linked from first).
   */
  managedElsewhere: boolean;
  /** This run created the employee. */
  createdThisRun: boolean;
}

export interface ManagerChange {
  employeeId: string;
  managerId: string | null;
}

export interface DepartmentPeoplePlan {
  heads: Map<number, DepartmentHeads>;
  managers: ManagerChange[];
  /** Named later (the names live with the employees): name is null here. */
  items: RunItem[];
}

export function planDepartmentPeople(departments: PeopleDepartment[], people: PortalPerson[], syncManagers: boolean): DepartmentPeoplePlan {
  const byUser = new Map<number, LinkedPerson>(people.map((p) => [p.bitrix24UserId, { employeeId: p.employeeId, state: p.state }]));
  const heads = resolveHeads(departments, treeParents(departments), byUser, syncManagers);
  const items: RunItem[] = [];
  for (const d of departments) {
    const problem = heads.get(d.bitrix24Id)?.headProblem ?? null;
    if (problem && problem !== d.headProblem) {
      items.push({ bitrix24UserId: d.headUserId, employeeId: byUser.get(d.headUserId!)?.employeeId ?? null, outcome: 'head_unresolved', reason: problem, name: d.name, details: { bitrix24DepartmentId: d.bitrix24Id, headBitrix24UserId: d.headUserId } });
    }
  }
  // A manager is a head, i.e. an active link of this portal: the report names their Bitrix24
  // user, which a preview and the real run after it agree on (a new employee has no id yet).
  const userOf = new Map(people.filter((p) => p.state === 'active').map((p) => [p.employeeId, p.bitrix24UserId]));
  const managers: ManagerChange[] = [];
  for (const p of people) {
    // A link deleted in Bitrix24 no longer speaks for the employee.
    if (p.state === 'deleted' || p.managedElsewhere) continue;
    const managerId = managerOf(p.employeeId, p.firstDepartmentId === null ? undefined : heads.get(p.firstDepartmentId));
    if (managerId === p.managerId) continue;
    managers.push({ employeeId: p.employeeId, managerId });
    if (p.createdThisRun) continue;
    items.push({
      bitrix24UserId: p.bitrix24UserId,
      employeeId: p.employeeId,
      outcome: 'manager_changed',
      reason: null,
      name: null,
      details: { managerId, managerBitrix24UserId: managerId === null ? null : (userOf.get(managerId) ?? null), previousManagerId: p.managerId, bitrix24DepartmentId: p.firstDepartmentId },
    });
  }
  return { heads, managers, items };
}

/** A link a preview's chunks would create (nothing was). */
export interface PlannedLink {
  bitrix24UserId: number;
  employeeId: string;
  state: LinkState;
  departmentIds: number[];
  /** With an employee the run would create (else it joins an existing employee, by email). */
  created: boolean;
}

/** What a preview's chunks would write to this portal's links, and the removals it found. */
export interface PlannedLinkChanges {
  newLinks: PlannedLink[];
  linkUpdates: Array<{ bitrix24UserId: number; state: LinkState; departmentIds: number[] }>;
  removals: Array<{ bitrix24UserId: number; kind: 'dismissed' | 'deleted' | 'out_of_scope' }>;
  /** False when the mass-removal guard would hold the removals: a real run's department phase runs before anyone confirms. */
  removalsApplied: boolean;
}

/** For an existing employee a new link would join: their manager now, and whether another portal links them. */
export interface JoiningEmployee {
  managerId: string | null;
  linkedElsewhere: boolean;
}

/**
 * The portal's people as a real run would leave them for its department phase: the stored
 * links, the links the chunks would create or update, then the removals unless the guard
 * would hold them. A new link is the employee's newest, so another portal that links them
 * keeps deciding their manager.
 */
export function plannedPortalPeople(stored: PortalPerson[], changes: PlannedLinkChanges, joining: ReadonlyMap<string, JoiningEmployee>): PortalPerson[] {
  const people = new Map(stored.map((p) => [p.bitrix24UserId, { ...p }]));
  for (const u of changes.linkUpdates) {
    const person = people.get(u.bitrix24UserId);
    if (!person) continue;
    person.state = u.state;
    person.firstDepartmentId = u.departmentIds[0] ?? null;
  }
  for (const l of changes.newLinks) {
    const employee = l.created ? undefined : joining.get(l.employeeId);
    people.set(l.bitrix24UserId, {
      bitrix24UserId: l.bitrix24UserId,
      employeeId: l.employeeId,
      state: l.state,
      firstDepartmentId: l.departmentIds[0] ?? null,
      managerId: employee?.managerId ?? null,
      managedElsewhere: employee?.linkedElsewhere ?? false,
      createdThisRun: l.created,
    });
  }
  if (changes.removalsApplied) {
    for (const r of changes.removals) {
      const person = people.get(r.bitrix24UserId);
      if (person) person.state = r.kind;
    }
  }
  return [...people.values()];
}
