import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows';
import { EmployeeFilter, employeeFilterSql, SqlParams } from './employees.repository';

/** The account's responsible-employees list: who calls and CRM records can be assigned to. */
@Injectable()
export class ResponsibleEmployeesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Ids among `employeeIds` that are not employees of this account. */
  async unknownIds(accountId: string, employeeIds: string[], manager: EntityManager = this.db.manager): Promise<string[]> {
    if (!employeeIds.length) return [];
    const rows: Array<{ id: string }> = await manager.query(
      `SELECT t.id FROM unnest($2::uuid[]) AS t(id)
        WHERE NOT EXISTS (SELECT 1 FROM employee e WHERE e.id = t.id AND e.account_id = $1)`,
      [accountId, employeeIds],
    );
    return rows.map((r) => r.id);
  }

  async add(accountId: string, employeeIds: string[], manager: EntityManager = this.db.manager): Promise<void> {
    if (!employeeIds.length) return;
    await manager.query(
      `INSERT INTO responsible_employee (account_id, employee_id)
       SELECT $1, e.id FROM employee e WHERE e.account_id = $1 AND e.id = ANY($2::uuid[])
       ON CONFLICT DO NOTHING`,
      [accountId, employeeIds],
    );
  }

  /** Removes the given employees from the list; returns the ids that were on it. */
  async remove(accountId: string, employeeIds: string[], manager: EntityManager = this.db.manager): Promise<string[]> {
    if (!employeeIds.length) return [];
    const rows: Array<{ employee_id: string }> = await queryRows(manager, `DELETE FROM responsible_employee WHERE account_id = $1 AND employee_id = ANY($2::uuid[]) RETURNING employee_id`,
      [accountId, employeeIds],
    );
    return rows.map((r) => r.employee_id);
  }

  async replace(accountId: string, employeeIds: string[], manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM responsible_employee WHERE account_id = $1 AND NOT (employee_id = ANY($2::uuid[]))`, [
      accountId,
      employeeIds,
    ]);
    await this.add(accountId, employeeIds, manager);
  }

  /**
   * Bulk "add to responsible" for everyone the directory's filters match, in one statement.
   * Left out, and counted: deactivated employees, and employees whose every Bitrix24 link is
   * dismissed or deleted — a person who has left is never put back on the list by a bulk
   * action (seeds/002 takes them off; a re-hire is not put back automatically either).
   * With dryRun nothing is inserted and the same counts come back.
   */
  async addMatching(accountId: string, filter: EmployeeFilter, dryRun: boolean): Promise<{ matched: number; added: number; eligible: number; already: number; inactive: number; left: number }> {
    const sql = new SqlParams(accountId);
    const where = employeeFilterSql(filter, sql);
    const dry = sql.param(dryRun);
    const [row]: Array<{ matched: number; added: number; eligible: number; already: number; inactive: number; left: number }> = await this.db.query(
      `WITH matched AS (
         SELECT e.id, e.active,
                EXISTS (SELECT 1 FROM responsible_employee r WHERE r.account_id = e.account_id AND r.employee_id = e.id) AS on_list,
                (EXISTS (SELECT 1 FROM bitrix24_user_link l WHERE l.account_id = e.account_id AND l.employee_id = e.id)
                 AND NOT EXISTS (SELECT 1 FROM bitrix24_user_link l WHERE l.account_id = e.account_id AND l.employee_id = e.id AND l.state = 'active')) AS left_bitrix24
           FROM employee e WHERE ${where.join(' AND ')}
       ), added AS (
         INSERT INTO responsible_employee (account_id, employee_id)
         SELECT $1, m.id FROM matched m WHERE NOT ${dry}::boolean AND m.active AND NOT m.left_bitrix24 AND NOT m.on_list
         ON CONFLICT DO NOTHING
         RETURNING employee_id
       )
       SELECT count(*)::int AS matched,
              (SELECT count(*) FROM added)::int AS added,
              (count(*) FILTER (WHERE NOT on_list AND active AND NOT left_bitrix24))::int AS eligible,
              (count(*) FILTER (WHERE on_list))::int AS already,
              (count(*) FILTER (WHERE NOT on_list AND NOT active))::int AS inactive,
              (count(*) FILTER (WHERE NOT on_list AND active AND left_bitrix24))::int AS left
         FROM matched`,
      sql.values,
    );
    return row;
  }
}
