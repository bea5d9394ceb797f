import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows';

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
}
