import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { Bitrix24ConnectionEntity } from '../bitrix24/bitrix24-connection.entity';
import type { Bitrix24Department } from '../bitrix24/bitrix24-user';
import { DepartmentStore } from './department-store';
import {
  cleanDepartments,
  DepartmentChange,
  departmentsAfterExport,
  departmentsInScope,
  DepartmentScope,
  isUserInDepartmentScope,
  planDepartmentTree,
  portalNodeName,
  planDepartmentHeads,
  planManagers,
  plannedManager,
  PlannedLink,
  PlannedLinkChanges,
  plannedNewPeople,
  plannedPortalPeople,
  PortalPerson,
  PeopleDepartment,
  DepartmentHeadsPlan,
  readDepartmentScope,
  treeParents,
} from './rules';
import type { ChunkPlan } from './chunk-plan';
import type { RunItem } from './sync-run.types';
import { settingsFingerprint } from './user-fingerprint';

const CHANGE_OUTCOME = {
  created: 'department_created',
  renamed: 'department_renamed',
  moved: 'department_moved',
  absent: 'department_absent',
  returned: 'department_returned',
} as const;

const changeItems = (changes: DepartmentChange[]): RunItem[] =>
  changes.map((c) => ({ bitrix24UserId: null, employeeId: null, outcome: CHANGE_OUTCOME[c.kind], reason: null, name: c.name, details: { bitrix24DepartmentId: c.bitrix24Id, ...c.details } }));

/** What a preview would have written before its department phase (sync-engine.service.ts PreviewMemory). */
export interface PlannedPeopleChanges extends PlannedLinkChanges {
  /** The tree the preview read (null: it read none, the stored tree stands). */
  tree: Bitrix24Department[] | null;
}

/** The links a chunk plan would create, as the department phase's planners take them. */
export const plannedLinksOf = (plan: Pick<ChunkPlan, 'newLinks'>): PlannedLink[] =>
  plan.newLinks.map((l) => ({ bitrix24UserId: l.bitrix24UserId, employeeId: l.employeeId, state: l.state, departmentIds: l.departmentIds, created: l.matchedBy === 'created' }));

/** One person's manager after their import (the check of one person, issue 14). */
export interface PersonManager {
  /** The department that decides it: the person's first department in UF_DEPARTMENT (null: none). */
  bitrix24DepartmentId: number | null;
  managerEmployeeId: string | null;
  managerBitrix24UserId: number | null;
  managerName: string | null;
  /** The employee's manager now (null for a person not imported yet, or without one). */
  previousManagerId: string | null;
  /** The import writes a different manager (for a person created by it: any manager at all). */
  changed: boolean;
  /**
   * Why there is no manager, or why this portal does not set it: sync_managers_off,
   * no_department, the head_unresolved reason of the department (not_imported,
   * out_of_scope, not_active), link_deleted, managed_elsewhere; null otherwise.
   */
  reason: string | null;
}

const headUserIds = (departments: Array<{ headUserId: number | null }>): number[] => [...new Set(departments.map((d) => d.headUserId).filter((u): u is number => u !== null))];

/** Bump when memberships, heads or managers are derived differently in SQL (DepartmentStore); the planners' own code is in it. */
const PEOPLE_DERIVATION_VERSION = settingsFingerprint({ revision: 1, code: [planDepartmentHeads, planManagers, plannedManager, treeParents].map((fn) => String(fn)) });

export interface DepartmentRunScope {
  scope: DepartmentScope;
  /** For ChunkSettings.inDepartmentScope; undefined when every department is in scope. */
  check: ((departmentIds: number[]) => boolean) | undefined;
  /** Changes whenever `check` may answer differently (part of the run's fingerprint settings). */
  version: string;
}

/**
 * The department phase of a run (issue 13): the tree from department.get, the selection
 * evaluated on it, and — once the people are imported — memberships, heads and managers.
 * The rules are the pure functions in rules/department-*.rule.ts and rules/heads.rule.ts;
 * this class loads their inputs and writes their outputs.
 */
@Injectable()
export class DepartmentSync {
  /** Links per page of the department phase: a page's rows and plan stay small in memory (tests make it small to cross page ends). */
  peoplePageSize = 10_000;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly store: DepartmentStore,
  ) {}

  /** Whether the run must read the tree before the users (a selection needs it for the first user). */
  needsTreeFirst(connection: Bitrix24ConnectionEntity): boolean {
    return readDepartmentScope(connection.departmentScope).mode === 'selected';
  }

  /**
   * Stores the portal's tree after a complete read of department.get: new, renamed, moved,
   * absent and returned departments (as run items), every department's place and whether it
   * is in the selection. `record` writes the items in the same transaction (the engine's run
   * checkpoint), so a run resumed after a kill reports each change once.
   */
  async syncTree(accountId: string, connection: Bitrix24ConnectionEntity, raw: Bitrix24Department[], record?: (manager: EntityManager, items: RunItem[]) => Promise<void>): Promise<RunItem[]> {
    const fetched = cleanDepartments(raw);
    const scope = readDepartmentScope(connection.departmentScope);
    // The company is Bitrix24's own top department (department.get: the one without PARENT).
    const tops = fetched.filter((d) => d.bitrix24ParentId === null);
    const portalName = portalNodeName(tops.length === 1 ? tops[0].name : null, connection.domain);
    let items: RunItem[] = [];
    await this.db.transaction(async (m) => {
      const { portalId } = await this.store.ensureNodes(m, accountId, connection.id, portalName);
      const stored = await this.store.load(connection.id, m);
      const plan = planDepartmentTree(stored, fetched, true);
      items = changeItems(plan.changes);
      const now = new Date();
      const firstSeen = new Map(stored.map((d) => [d.bitrix24Id, d.firstSeenAt]));
      const all = departmentsAfterExport(stored, fetched);
      const parents = treeParents(all);
      const inScope = departmentsInScope(all.map((d) => ({ bitrix24Id: d.bitrix24Id, firstSeenAt: firstSeen.get(d.bitrix24Id) ?? now })), parents, scope, connection.departmentScopeSavedAt);
      await this.store.applyTree(m, accountId, connection.id, portalId, plan, all.map((d) => ({ bitrix24Id: d.bitrix24Id, treeParentBitrix24Id: parents.get(d.bitrix24Id) ?? null, inScope: inScope.has(d.bitrix24Id) })));
      if (record) await record(m, items);
    });
    return items;
  }

  /** A preview's department phase (issue 14): the changes syncTree would report, nothing written. */
  async previewTree(connection: Bitrix24ConnectionEntity, raw: Bitrix24Department[]): Promise<RunItem[]> {
    return changeItems(planDepartmentTree(await this.store.load(connection.id), cleanDepartments(raw), true).changes);
  }

  /**
   * The selection as a check on a user's departments, from the stored tree. A preview
   * (`fromRules`) may try a selection that is not saved, so it works out which stored
   * departments are in it instead of reading the flags the saved selection left.
   */
  async runScope(connection: Bitrix24ConnectionEntity, options: { fromRules?: boolean } = {}): Promise<DepartmentRunScope> {
    const scope = readDepartmentScope(connection.departmentScope);
    if (scope.mode === 'all') return { scope, check: undefined, version: 'all' };
    const stored = await this.store.load(connection.id);
    // Absent departments are known (not "new"): their place in the tree decides, as it did.
    const known = new Set(stored.map((d) => d.bitrix24Id));
    const inScope = options.fromRules
      ? departmentsInScope(stored, treeParents(stored), scope, connection.departmentScopeSavedAt)
      : new Set(stored.filter((d) => d.inScope).map((d) => d.bitrix24Id));
    const sorted = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);
    return { scope, check: (ids) => isUserInDepartmentScope(ids, inScope, known, scope), version: settingsFingerprint({ scope, inScope: sorted(inScope), known: sorted(known) }) };
  }

  /**
   * After the people: memberships, heads (and why one is missing — reported when that
   * changes), supervisors, and each employee's manager (reported when it changes). `record`
   * writes the items in the transaction of the writes they report (the run's checkpoint), so
   * a run resumed after a kill in this phase reports each change once: what was written
   * before the kill is no change any more.
   */
  async syncPeople(accountId: string, connection: Bitrix24ConnectionEntity, runId: string, record: (manager: EntityManager, items: RunItem[]) => Promise<void>): Promise<void> {
    // Nothing they derive from changed since they were last derived: the same rows, nothing to report (issue 12).
    const inputs = await this.store.peopleInputs(accountId, connection.id, connection.syncManagers, PEOPLE_DERIVATION_VERSION);
    if (inputs.current === inputs.derivedFrom) return;
    await this.store.syncMemberships(connection.id);
    const departments = await this.store.load(connection.id);
    const heads = planDepartmentHeads(departments, await this.store.portalPeople(accountId, connection.id, { userIds: headUserIds(departments) }), connection.syncManagers);
    const headItems = await this.named(accountId, heads.items);
    await this.db.transaction(async (m) => {
      await this.store.applyHeads(connection.id, heads.heads, m);
      await record(m, headItems);
    });
    const created = await this.store.createdInRun(runId);
    for await (const page of this.peoplePages(accountId, connection.id)) {
      for (const p of page) p.createdThisRun = created.has(p.employeeId);
      const plan = planManagers(page, heads);
      if (!plan.managers.length) continue;
      const items = await this.named(accountId, plan.items);
      await this.db.transaction(async (m) => {
        await this.store.applyManagers(accountId, plan.managers, m);
        await record(m, items);
      });
    }
    await this.store.rememberPeopleInputs(accountId, connection.id, inputs.current);
  }

  /**
   * A preview's department phase (issue 14): the heads, supervisors and managers syncPeople
   * would set after the people the preview planned, reported the same way; nothing written.
   * Memberships are the links' UF_DEPARTMENT lists, already reported as "departments"
   * among an employee's changed fields; here they only decide who manages whom.
   */
  async previewPeople(accountId: string, connection: Bitrix24ConnectionEntity, planned: PlannedPeopleChanges): Promise<RunItem[]> {
    const stored = await this.store.load(connection.id);
    // The tree the real run's syncTree would have stored first, with the reasons stored so far.
    const problems = new Map(stored.map((d) => [d.bitrix24Id, d.headProblem]));
    const departments = planned.tree ? departmentsAfterExport(stored, cleanDepartments(planned.tree)).map((d) => ({ ...d, headProblem: problems.get(d.bitrix24Id) ?? null })) : stored;
    const joining = await this.store.joiningEmployees(accountId, connection.id, planned.newLinks.filter((l) => !l.created).map((l) => l.employeeId));
    const newPeople = plannedNewPeople(planned, joining);
    const heads = await this.plannedHeads(accountId, connection, departments, planned, newPeople);
    const items = [...heads.items];
    for await (const page of this.peoplePages(accountId, connection.id)) items.push(...planManagers(plannedPortalPeople(page, planned), heads).items);
    items.push(...planManagers(newPeople, heads).items);
    // Employees and managers the preview would create have no id (as in its other items).
    const created = new Set(planned.newLinks.filter((l) => l.created).map((l) => l.employeeId));
    const known = (id: unknown) => (typeof id === 'string' && created.has(id) ? null : id);
    return this.named(
      accountId,
      items.map((i) => ({ ...i, employeeId: known(i.employeeId) as string | null, details: i.outcome === 'manager_changed' ? { ...i.details, managerId: known(i.details?.managerId) } : i.details })),
    );
  }

  /**
   * The manager one person gets once a run imports them (`plan`: the chunk plan of just that
   * person, as the check of one person makes it), from the stored tree: the real run's
   * syncPeople plans it the same way (plannedManager is planManagers' rule). Null when the
   * plan leaves no link for them (skipped).
   */
  async personManager(accountId: string, connection: Bitrix24ConnectionEntity, plan: ChunkPlan, bitrix24UserId: number): Promise<PersonManager | null> {
    const planned: PlannedLinkChanges = {
      newLinks: plannedLinksOf(plan),
      linkUpdates: new Map(plan.linkUpdates.map((u) => [u.bitrix24UserId, { state: u.state, departmentIds: u.departmentIds }])),
      removals: new Map(plan.pendingDismissals.map((d) => [d.bitrix24UserId, d.kind])),
      // One person's run: the guard holds nobody alone (evaluateRemovalGuard).
      removalsApplied: true,
    };
    const departments = await this.store.load(connection.id);
    const joining = await this.store.joiningEmployees(accountId, connection.id, planned.newLinks.filter((l) => !l.created).map((l) => l.employeeId));
    const newPeople = plannedNewPeople(planned, joining);
    const stored = plannedPortalPeople(await this.store.portalPeople(accountId, connection.id, { userIds: [bitrix24UserId] }), planned);
    const person = [...newPeople, ...stored].find((p) => p.bitrix24UserId === bitrix24UserId);
    if (!person) return null;
    const heads = await this.plannedHeads(accountId, connection, departments, planned, newPeople);
    const manager = plannedManager(person, heads);
    const known = manager.managerId !== null && manager.managerId !== person.employeeId && !newPeople.some((p) => p.createdThisRun && p.employeeId === manager.managerId);
    const names = known ? await this.store.employeeNames(accountId, [manager.managerId!]) : new Map<string, string>();
    const previousManagerId = person.createdThisRun ? null : person.managerId;
    const reason = !connection.syncManagers
      ? 'sync_managers_off'
      : manager.decidedBy !== 'this_portal'
        ? manager.decidedBy
        : manager.managerId === null && person.firstDepartmentId === null
          ? 'no_department'
          : manager.headProblem;
    return {
      bitrix24DepartmentId: person.firstDepartmentId,
      managerEmployeeId: manager.managerId,
      managerBitrix24UserId: manager.managerBitrix24UserId,
      managerName: manager.managerId === null ? null : (names.get(manager.managerId) ?? null),
      previousManagerId,
      changed: manager.decidedBy === 'this_portal' && manager.managerId !== previousManagerId,
      reason,
    };
  }

  /** Heads and supervisors after the links a preview or a check plans (the heads' stored links as the plan leaves them, and the new ones). */
  private async plannedHeads(accountId: string, connection: Bitrix24ConnectionEntity, departments: PeopleDepartment[], planned: PlannedLinkChanges, newPeople: PortalPerson[]): Promise<DepartmentHeadsPlan> {
    const headIds = headUserIds(departments);
    const headSet = new Set(headIds);
    const headPeople = [...plannedPortalPeople(await this.store.portalPeople(accountId, connection.id, { userIds: headIds }), planned), ...newPeople.filter((p) => headSet.has(p.bitrix24UserId))];
    return planDepartmentHeads(departments, headPeople, connection.syncManagers);
  }

  private async *peoplePages(accountId: string, connectionId: string): AsyncGenerator<PortalPerson[]> {
    let afterUserId = 0;
    for (;;) {
      const page = await this.store.portalPeople(accountId, connectionId, { afterUserId, limit: this.peoplePageSize });
      if (page.length) yield page;
      if (page.length < this.peoplePageSize) return;
      afterUserId = page[page.length - 1].bitrix24UserId;
    }
  }

  /** Employees' items carry the employee's report name (department items already have theirs). */
  private async named(accountId: string, items: RunItem[]): Promise<RunItem[]> {
    const ids = items.filter((i) => i.name === null && i.employeeId).map((i) => i.employeeId!);
    const names = await this.store.employeeNames(accountId, [...new Set(ids)]);
    return items.map((i) => (i.name === null && i.employeeId ? { ...i, name: names.get(i.employeeId) ?? null } : i));
  }
}
