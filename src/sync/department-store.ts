import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows';
import { untaggedNameSql } from '../employees/employee-sql';
import type { CleanDepartment, DepartmentHeads, DepartmentTreePlan, HeadProblem, JoiningEmployee, LinkState, ManagerChange, PortalPerson, StoredDepartment } from './rules';

export interface DepartmentRecord extends StoredDepartment {
  id: string;
  firstSeenAt: Date;
  inScope: boolean;
  parentId: string | null;
  headEmployeeId: string | null;
  supervisorEmployeeId: string | null;
  membersManagerId: string | null;
  headProblem: HeadProblem | null;
}

/**
 * The department phase's SQL (issue 13): the account's root and the portal's node, the
 * portal's departments, memberships, heads and managers. Every statement is scoped by
 * account and connection; nothing here deletes a department.
 */
@Injectable()
export class DepartmentStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The root (named after the account) and this portal's node under it; names follow renames. */
  async ensureNodes(manager: EntityManager, accountId: string, connectionId: string, portalName: string): Promise<{ rootId: string; portalId: string }> {
    const [root] = await queryRows<{ id: string }>(
      manager,
      `INSERT INTO department (account_id, kind, name) SELECT a.id, 'root', a.name FROM account a WHERE a.id = $1
       ON CONFLICT (account_id) WHERE kind = 'root' DO UPDATE SET name = EXCLUDED.name, updated_at = now()
         WHERE department.name IS DISTINCT FROM EXCLUDED.name
       RETURNING id`,
      [accountId],
    );
    const rootId = root?.id ?? (await queryRows<{ id: string }>(manager, `SELECT id FROM department WHERE account_id = $1 AND kind = 'root'`, [accountId]))[0].id;
    const [portal] = await queryRows<{ id: string }>(
      manager,
      `INSERT INTO department (account_id, kind, connection_id, parent_id, name) VALUES ($1, 'portal', $2, $3, $4)
       ON CONFLICT (connection_id) WHERE kind = 'portal' DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, present = true, updated_at = now()
         WHERE (department.name, department.parent_id, department.present) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.parent_id, true)
       RETURNING id`,
      [accountId, connectionId, rootId, portalName],
    );
    const portalId = portal?.id ?? (await queryRows<{ id: string }>(manager, `SELECT id FROM department WHERE connection_id = $1 AND kind = 'portal'`, [connectionId]))[0].id;
    return { rootId, portalId };
  }

  async load(connectionId: string, manager: EntityManager = this.db.manager): Promise<DepartmentRecord[]> {
    const rows = await queryRows<{
      id: string;
      bitrix24_id: number;
      name: string;
      bitrix24_parent_id: number | null;
      sort: number | null;
      head_bitrix24_user_id: number | null;
      present: boolean;
      first_seen_at: Date;
      in_scope: boolean;
      parent_id: string | null;
      head_employee_id: string | null;
      supervisor_employee_id: string | null;
      members_manager_id: string | null;
      head_problem: HeadProblem | null;
    }>(
      manager,
      `SELECT id, bitrix24_id, name, bitrix24_parent_id, sort, head_bitrix24_user_id, present, first_seen_at, in_scope, parent_id,
              head_employee_id, supervisor_employee_id, members_manager_id, head_problem
         FROM department WHERE connection_id = $1 AND kind = 'bitrix24' ORDER BY bitrix24_id`,
      [connectionId],
    );
    return rows.map((r) => ({
      id: r.id,
      bitrix24Id: r.bitrix24_id,
      name: r.name,
      bitrix24ParentId: r.bitrix24_parent_id,
      sort: r.sort,
      headUserId: r.head_bitrix24_user_id,
      present: r.present,
      firstSeenAt: r.first_seen_at,
      inScope: r.in_scope,
      parentId: r.parent_id,
      headEmployeeId: r.head_employee_id,
      supervisorEmployeeId: r.supervisor_employee_id,
      membersManagerId: r.members_manager_id,
      headProblem: r.head_problem,
    }));
  }

  /** Writes a tree plan: new and changed rows, absent ones, then every row's place and scope. */
  async applyTree(
    manager: EntityManager,
    accountId: string,
    connectionId: string,
    portalId: string,
    plan: DepartmentTreePlan,
    placement: Array<{ bitrix24Id: number; treeParentBitrix24Id: number | null; inScope: boolean }>,
  ): Promise<void> {
    if (plan.upserts.length) {
      const u: CleanDepartment[] = plan.upserts;
      await manager.query(
        `INSERT INTO department (account_id, kind, connection_id, bitrix24_id, bitrix24_parent_id, parent_id, name, sort, head_bitrix24_user_id, present)
         SELECT $1, 'bitrix24', $2, t.id, t.parent, $3, t.name, t.sort, t.head, true
           FROM unnest($4::int[], $5::text[], $6::int[], $7::int[], $8::int[]) AS t(id, name, parent, head, sort)
         ON CONFLICT (connection_id, bitrix24_id) WHERE kind = 'bitrix24' DO UPDATE
           SET name = EXCLUDED.name, bitrix24_parent_id = EXCLUDED.bitrix24_parent_id, sort = EXCLUDED.sort,
               head_bitrix24_user_id = EXCLUDED.head_bitrix24_user_id, present = true, absent_since = NULL, updated_at = now()`,
        [accountId, connectionId, portalId, u.map((d) => d.bitrix24Id), u.map((d) => d.name), u.map((d) => d.bitrix24ParentId), u.map((d) => d.headUserId), u.map((d) => d.sort)],
      );
    }
    if (plan.absent.length) {
      await manager.query(
        `UPDATE department SET present = false, absent_since = now(), updated_at = now()
          WHERE connection_id = $1 AND kind = 'bitrix24' AND present AND bitrix24_id = ANY($2::int[])`,
        [connectionId, plan.absent],
      );
    }
    if (placement.length) {
      await manager.query(
        // Index probes per department (LATERAL … LIMIT 1): as plain joins, a planner without
        // statistics looped over every department per department (5,000: seconds, writing nothing).
        `UPDATE department d SET parent_id = w.parent_id, in_scope = w.in_scope, updated_at = now()
           FROM (SELECT x.id, coalesce(p.id, $2::uuid) AS parent_id, t.in_scope
                   FROM unnest($3::int[], $4::int[], $5::boolean[]) AS t(id, parent, in_scope)
                   CROSS JOIN LATERAL (SELECT y.id, y.parent_id, y.in_scope FROM department y
                                        WHERE y.connection_id = $1 AND y.kind = 'bitrix24' AND y.bitrix24_id = t.id LIMIT 1) x
                   LEFT JOIN LATERAL (SELECT z.id FROM department z
                                       WHERE z.connection_id = $1 AND z.kind = 'bitrix24' AND z.bitrix24_id = t.parent LIMIT 1) p ON true
                  WHERE (x.parent_id, x.in_scope) IS DISTINCT FROM (coalesce(p.id, $2::uuid), t.in_scope)) w
          WHERE d.id = w.id`,
        [connectionId, portalId, placement.map((p) => p.bitrix24Id), placement.map((p) => p.treeParentBitrix24Id), placement.map((p) => p.inScope)],
      );
    }
  }

  /**
   * Memberships follow the links' UF_DEPARTMENT lists (Bitrix24 order, 1-based). Written as
   * a difference, so a run where nobody changed department writes nothing.
   */
  async syncMemberships(connectionId: string): Promise<void> {
    await this.db.transaction(async (m) => {
      // One index probe per (user, department): as a plain join, a planner without statistics
      // took the connection's departments for one row and scanned every link per department
      // (100,000 people × 3,000 departments: minutes). LIMIT 1 keeps the probe from being flattened.
      const wanted = `SELECT d.id AS department_id, l.employee_id, min(o.pos)::smallint AS position
                        FROM bitrix24_user_link l
                        CROSS JOIN LATERAL unnest(l.department_ids) WITH ORDINALITY AS o(bid, pos)
                        CROSS JOIN LATERAL (SELECT dd.id FROM department dd
                                             WHERE dd.connection_id = l.connection_id AND dd.kind = 'bitrix24' AND dd.bitrix24_id = o.bid LIMIT 1) d
                       WHERE l.connection_id = $1
                       GROUP BY d.id, l.employee_id`;
      await m.query(
        `DELETE FROM employee_department x WHERE x.connection_id = $1
            AND NOT EXISTS (SELECT 1 FROM (${wanted}) w WHERE w.department_id = x.department_id AND w.employee_id = x.employee_id)`,
        [connectionId],
      );
      await m.query(
        `INSERT INTO employee_department (department_id, employee_id, connection_id, position)
         SELECT w.department_id, w.employee_id, $1, w.position FROM (${wanted}) w
         ON CONFLICT (department_id, employee_id) DO UPDATE SET position = EXCLUDED.position, connection_id = EXCLUDED.connection_id
           WHERE (employee_department.position, employee_department.connection_id) IS DISTINCT FROM (EXCLUDED.position, EXCLUDED.connection_id)`,
        [connectionId],
      );
    });
  }

  /**
   * Links of this portal as the department phase needs them (rules/department-people.rule.ts):
   * the user's first UF_DEPARTMENT department, the employee's manager now, and whether an
   * older live link on another portal decides that manager. A page in Bitrix24 user order
   * (keyset: the phase never holds 100,000 people at once), or the given users (heads).
   */
  async portalPeople(accountId: string, connectionId: string, which: { afterUserId: number; limit: number } | { userIds: number[] }): Promise<PortalPerson[]> {
    if ('userIds' in which && !which.userIds.length) return [];
    const rows = await queryRows<{ bitrix24_user_id: number; employee_id: string; state: LinkState; first_department_id: number | null; manager_id: string | null; managed_elsewhere: boolean }>(
      this.db.manager,
      `SELECT l.bitrix24_user_id, l.employee_id, l.state, l.department_ids[1] AS first_department_id, e.manager_id,
              EXISTS (SELECT 1 FROM bitrix24_user_link o
                       WHERE o.employee_id = l.employee_id AND o.connection_id <> l.connection_id AND o.state <> 'deleted'
                         AND (o.linked_at, o.connection_id) < (l.linked_at, l.connection_id)) AS managed_elsewhere
         FROM bitrix24_user_link l JOIN employee e ON e.id = l.employee_id AND e.account_id = $1
        WHERE l.connection_id = $2 AND ${'userIds' in which ? 'l.bitrix24_user_id = ANY($3::int[])' : 'l.bitrix24_user_id > $3'}
        ORDER BY l.bitrix24_user_id ${'userIds' in which ? '' : 'LIMIT $4'}`,
      'userIds' in which ? [accountId, connectionId, which.userIds] : [accountId, connectionId, which.afterUserId, which.limit],
    );
    return rows.map((r) => ({
      bitrix24UserId: r.bitrix24_user_id,
      employeeId: r.employee_id,
      state: r.state,
      firstDepartmentId: r.first_department_id,
      managerId: r.manager_id,
      managedElsewhere: r.managed_elsewhere,
      createdThisRun: false,
    }));
  }

  /**
   * A digest of everything memberships, heads and managers are derived from — the links of
   * every portal of the account (an employee of two portals takes the manager of the one
   * linked first), this portal's departments, the managers setting, the rules' `revision` —
   * and the digest they were last derived from. Equal: deriving again would write nothing.
   * A content digest, not timestamps, so no writer has to remember anything.
   */
  async peopleInputs(accountId: string, connectionId: string, syncManagers: boolean, revision: string): Promise<{ current: string; derivedFrom: string | null }> {
    const [row] = await queryRows<{ links: string; departments: string; derived_from: string | null }>(
      this.db.manager,
      `SELECT (SELECT count(*) || '/' || coalesce(sum(hashtextextended(concat_ws('|', l.connection_id, l.bitrix24_user_id, l.employee_id, l.state, l.department_ids, extract(epoch FROM l.linked_at)), 0)), 0)
                 FROM bitrix24_connection c CROSS JOIN LATERAL (SELECT * FROM bitrix24_user_link x WHERE x.connection_id = c.id) l
                WHERE c.account_id = $1) AS links,
              (SELECT count(*) || '/' || coalesce(sum(hashtextextended(concat_ws('|', d.id, d.kind, d.bitrix24_id, d.bitrix24_parent_id, d.parent_id, d.head_bitrix24_user_id, d.present, d.in_scope), 0)), 0)
                 FROM department d WHERE d.connection_id = $2) AS departments,
              (SELECT people_derived_from FROM bitrix24_connection WHERE id = $2 AND account_id = $1) AS derived_from`,
      [accountId, connectionId],
    );
    return { current: `${revision}:${syncManagers}:${row.links}:${row.departments}`, derivedFrom: row.derived_from };
  }

  async rememberPeopleInputs(accountId: string, connectionId: string, inputs: string): Promise<void> {
    await this.db.query(`UPDATE bitrix24_connection SET people_derived_from = $3 WHERE id = $2 AND account_id = $1 AND people_derived_from IS DISTINCT FROM $3`, [accountId, connectionId, inputs]);
  }

  /** The employees a run created (its "created" items; a resumed run's earlier attempts included). */
  async createdInRun(runId: string): Promise<Set<string>> {
    const rows = await queryRows<{ employee_id: string }>(this.db.manager, `SELECT employee_id FROM sync_run_item WHERE run_id = $1 AND outcome = 'created' AND employee_id IS NOT NULL`, [runId]);
    return new Set(rows.map((r) => r.employee_id));
  }

  /** Existing employees a preview would link to this portal: their manager now, and whether another portal links them. */
  async joiningEmployees(accountId: string, connectionId: string, employeeIds: string[]): Promise<Map<string, JoiningEmployee>> {
    if (!employeeIds.length) return new Map();
    const rows = await queryRows<{ id: string; manager_id: string | null; linked_elsewhere: boolean }>(
      this.db.manager,
      `SELECT e.id, e.manager_id,
              EXISTS (SELECT 1 FROM bitrix24_user_link o WHERE o.employee_id = e.id AND o.connection_id <> $2 AND o.state <> 'deleted') AS linked_elsewhere
         FROM employee e WHERE e.account_id = $1 AND e.id = ANY($3::uuid[])`,
      [accountId, connectionId, employeeIds],
    );
    return new Map(rows.map((r) => [r.id, { managerId: r.manager_id, linkedElsewhere: r.linked_elsewhere }]));
  }

  /** Report names ("Last First", untagged) of the account's employees. */
  async employeeNames(accountId: string, employeeIds: string[]): Promise<Map<string, string>> {
    if (!employeeIds.length) return new Map();
    const rows = await queryRows<{ id: string; name: string }>(this.db.manager, `SELECT e.id, ${untaggedNameSql('e')} AS name FROM employee e WHERE e.account_id = $1 AND e.id = ANY($2::uuid[])`, [accountId, employeeIds]);
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  async applyHeads(connectionId: string, heads: Map<number, DepartmentHeads>, manager: EntityManager = this.db.manager): Promise<void> {
    const list = [...heads.entries()];
    if (!list.length) return;
    await manager.query(
      `UPDATE department d SET head_employee_id = t.head, supervisor_employee_id = t.supervisor, members_manager_id = t.members_manager,
              head_problem = t.problem, updated_at = now()
         FROM unnest($2::int[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[]) AS t(id, head, supervisor, members_manager, problem)
        WHERE d.connection_id = $1 AND d.kind = 'bitrix24' AND d.bitrix24_id = t.id
          AND (d.head_employee_id, d.supervisor_employee_id, d.members_manager_id, d.head_problem) IS DISTINCT FROM (t.head, t.supervisor, t.members_manager, t.problem)`,
      [connectionId, list.map(([id]) => id), list.map(([, h]) => h.headEmployeeId), list.map(([, h]) => h.supervisorEmployeeId), list.map(([, h]) => h.membersManagerId), list.map(([, h]) => h.headProblem)],
    );
  }

  /** employee.manager_id as planDepartmentPeople decided (only the changed rows are given, and only rows that differ are written). */
  async applyManagers(accountId: string, changes: ManagerChange[], manager: EntityManager = this.db.manager): Promise<void> {
    if (!changes.length) return;
    await manager.query(
      `UPDATE employee e SET manager_id = t.manager_id, updated_at = now()
         FROM unnest($2::uuid[], $3::uuid[]) AS t(id, manager_id)
        WHERE e.id = t.id AND e.account_id = $1 AND e.manager_id IS DISTINCT FROM t.manager_id`,
      [accountId, changes.map((c) => c.employeeId), changes.map((c) => c.managerId)],
    );
  }
}
