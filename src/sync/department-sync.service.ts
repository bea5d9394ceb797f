import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { Bitrix24ConnectionEntity } from '../bitrix24/bitrix24-connection.entity';
import type { Bitrix24Department } from '../bitrix24/bitrix24-user';
import { DepartmentStore } from './department-store';
import {
  cleanDepartments,
  DepartmentChange,
  departmentsInScope,
  DepartmentScope,
  isUserInDepartmentScope,
  planDepartmentTree,
  portalNodeName,
  readDepartmentScope,
  resolveHeads,
  treeParents,
} from './rules';
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

/** Bump when memberships, heads or managers are derived differently (the SQL in DepartmentStore); the rule's own code is in it. */
const PEOPLE_DERIVATION_VERSION = settingsFingerprint({ revision: 1, heads: String(resolveHeads), parents: String(treeParents) });

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
      const returned = new Set(fetched.map((d) => d.bitrix24Id));
      // Absent departments keep their place (their children may still hang under them).
      const all = [...stored.filter((d) => !returned.has(d.bitrix24Id)), ...fetched];
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
   * changes), supervisors, and each employee's manager.
   */
  async syncPeople(accountId: string, connection: Bitrix24ConnectionEntity): Promise<RunItem[]> {
    // Nothing they derive from changed since they were last derived: the same rows, the same head problems (none new).
    const inputs = await this.store.peopleInputs(accountId, connection.id, connection.syncManagers, PEOPLE_DERIVATION_VERSION);
    if (inputs.current === inputs.derivedFrom) return [];
    await this.store.syncMemberships(connection.id);
    const departments = await this.store.load(connection.id);
    const parents = treeParents(departments);
    const people = await this.store.linkedPeople(connection.id, [...new Set(departments.map((d) => d.headUserId).filter((u): u is number => u !== null))]);
    const heads = resolveHeads(departments, parents, people, connection.syncManagers);
    await this.store.applyHeads(connection.id, heads);
    await this.store.applyManagers(accountId, connection.id);
    const items: RunItem[] = [];
    for (const d of departments) {
      const problem = heads.get(d.bitrix24Id)?.headProblem ?? null;
      if (problem && problem !== d.headProblem) {
        items.push({ bitrix24UserId: d.headUserId, employeeId: people.get(d.headUserId!)?.employeeId ?? null, outcome: 'head_unresolved', reason: problem, name: d.name, details: { bitrix24DepartmentId: d.bitrix24Id, headBitrix24UserId: d.headUserId } });
      }
    }
    await this.store.rememberPeopleInputs(accountId, connection.id, inputs.current);
    return items;
  }
}
