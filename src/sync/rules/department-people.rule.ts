/**
 * The department phase's plan for a portal's people (issue 13 rule 3, issue 14): heads,
 * supervisors, managers and what the run report says about them, from the tree and the
 * portal's links. A real run plans it from what it wrote and writes the plan; a preview
 * plans it from what it would have written (plannedPortalPeople, plannedNewPeople) and only
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
import { type DepartmentHeads, type HeadDepartment, type HeadProblem, type LinkedPerson, managerOf, resolveHeads } from './heads.rule';
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

export interface DepartmentHeadsPlan {
  heads: Map<number, DepartmentHeads>;
  /** head_unresolved items. */
  items: RunItem[];
  /** Each resolved head's Bitrix24 user, by employee: who a manager is in the report. */
  headUsers: Map<string, number>;
}

/** Heads and supervisors of every department, from the links of the departments' UF_HEAD users. */
export function planDepartmentHeads(departments: PeopleDepartment[], headPeople: PortalPerson[], syncManagers: boolean): DepartmentHeadsPlan {
  const byUser = new Map<number, LinkedPerson>(headPeople.map((p) => [p.bitrix24UserId, { employeeId: p.employeeId, state: p.state }]));
  const heads = resolveHeads(departments, treeParents(departments), byUser, syncManagers);
  const items: RunItem[] = [];
  const headUsers = new Map<string, number>();
  for (const d of departments) {
    const h = heads.get(d.bitrix24Id);
    if (h?.headEmployeeId && d.headUserId !== null) headUsers.set(h.headEmployeeId, d.headUserId);
    const problem = h?.headProblem ?? null;
    if (problem && problem !== d.headProblem) {
      items.push({ bitrix24UserId: d.headUserId, employeeId: byUser.get(d.headUserId!)?.employeeId ?? null, outcome: 'head_unresolved', reason: problem, name: d.name, details: { bitrix24DepartmentId: d.bitrix24Id, headBitrix24UserId: d.headUserId } });
    }
  }
  return { heads, items, headUsers };
}

/**
 * The managers of some of the portal's people (any slice: the planner holds no state
 * between slices, so 100,000 people are planned a page at a time) from the departments' heads.
 */
export function planManagers(people: PortalPerson[], plan: Pick<DepartmentHeadsPlan, 'heads' | 'headUsers'>): { managers: ManagerChange[]; items: RunItem[] } {
  const managers: ManagerChange[] = [];
  const items: RunItem[] = [];
  for (const p of people) {
    const planned = plannedManager(p, plan);
    if (planned.decidedBy !== 'this_portal') continue;
    const { managerId } = planned;
    if (managerId === p.managerId) continue;
    managers.push({ employeeId: p.employeeId, managerId });
    if (p.createdThisRun) continue;
    // The manager is named by their Bitrix24 user too: a preview and the real run after it agree on that (a new employee has no id yet).
    items.push({
      bitrix24UserId: p.bitrix24UserId,
      employeeId: p.employeeId,
      outcome: 'manager_changed',
      reason: null,
      name: null,
      details: { managerId, managerBitrix24UserId: planned.managerBitrix24UserId, previousManagerId: p.managerId, bitrix24DepartmentId: p.firstDepartmentId },
    });
  }
  return { managers, items };
}

export interface PlannedManager {
  /**
   * this_portal: the manager below is what the department phase writes; link_deleted: a link
   * deleted in Bitrix24 no longer speaks for the employee; managed_elsewhere: an older live
   * link on another portal decides. In both of those the manager stays as it is.
   */
  decidedBy: 'this_portal' | 'link_deleted' | 'managed_elsewhere';
  managerId: string | null;
  /** The manager's Bitrix24 user on this portal (null: no manager). */
  managerBitrix24UserId: number | null;
  /** Why there is no manager: the first department's head_unresolved reason (or none: no department, no head anywhere above, or sync managers off). */
  headProblem: HeadProblem | null;
}

/** The manager the department phase gives one person, changed or not (planManagers writes it when it changed). */
export function plannedManager(p: PortalPerson, plan: Pick<DepartmentHeadsPlan, 'heads' | 'headUsers'>): PlannedManager {
  const department = p.firstDepartmentId === null ? undefined : plan.heads.get(p.firstDepartmentId);
  const decidedBy = p.state === 'deleted' ? 'link_deleted' : p.managedElsewhere ? 'managed_elsewhere' : 'this_portal';
  const managerId = decidedBy === 'this_portal' ? managerOf(p.employeeId, department) : p.managerId;
  const headProblem = decidedBy === 'this_portal' && managerId === null && department && department.headEmployeeId !== p.employeeId ? department.headProblem : null;
  return { decidedBy, managerId, managerBitrix24UserId: managerId === null ? null : (plan.headUsers.get(managerId) ?? null), headProblem };
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

/** What a preview's chunks would write to this portal's links, and the removals it found, by Bitrix24 user. */
export interface PlannedLinkChanges {
  newLinks: PlannedLink[];
  linkUpdates: ReadonlyMap<number, { state: LinkState; departmentIds: number[] }>;
  removals: ReadonlyMap<number, 'dismissed' | 'deleted' | 'out_of_scope'>;
  /** False when the mass-removal guard would hold the removals: a real run's department phase runs before anyone confirms. */
  removalsApplied: boolean;
}

/** For an existing employee a new link would join: their manager now, and whether another portal links them. */
export interface JoiningEmployee {
  managerId: string | null;
  linkedElsewhere: boolean;
}

const removedState = (changes: PlannedLinkChanges, bitrix24UserId: number, state: LinkState): LinkState => (changes.removalsApplied ? (changes.removals.get(bitrix24UserId) ?? state) : state);

/**
 * Stored links (any slice) as a real run would leave them for its department phase: the
 * chunks' updates, then the removals unless the guard would hold them. Returns copies.
 */
export function plannedPortalPeople(stored: PortalPerson[], changes: PlannedLinkChanges): PortalPerson[] {
  return stored.map((p) => {
    const update = changes.linkUpdates.get(p.bitrix24UserId);
    const state = removedState(changes, p.bitrix24UserId, update?.state ?? p.state);
    return { ...p, state, firstDepartmentId: update ? (update.departmentIds[0] ?? null) : p.firstDepartmentId };
  });
}

/**
 * The people of the links a preview would create. Such a link is the employee's newest, so
 * another portal that links them keeps deciding their manager.
 */
export function plannedNewPeople(changes: PlannedLinkChanges, joining: ReadonlyMap<string, JoiningEmployee>): PortalPerson[] {
  return changes.newLinks.map((l) => {
    const employee = l.created ? undefined : joining.get(l.employeeId);
    return {
      bitrix24UserId: l.bitrix24UserId,
      employeeId: l.employeeId,
      state: removedState(changes, l.bitrix24UserId, l.state),
      firstDepartmentId: l.departmentIds[0] ?? null,
      managerId: employee?.managerId ?? null,
      managedElsewhere: employee?.linkedElsewhere ?? false,
      createdThisRun: l.created,
    };
  });
}
