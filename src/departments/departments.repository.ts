import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { decodeKeysetCursor, encodeKeysetCursor } from '../common/keyset-cursor';
import { untaggedNameSql } from '../employees/employee-sql';
import { SqlParams } from '../employees/employees.repository';

export interface DepartmentRow {
  id: string;
  name: string;
  parent_id: string | null;
  kind: 'root' | 'portal' | 'bitrix24';
  connection_id: string | null;
  bitrix24_id: number | null;
  head_employee_id: string | null;
  supervisor_employee_id: string | null;
  head_problem: string | null;
  head_name: string | null;
  supervisor_name: string | null;
  present: boolean;
  in_scope: boolean;
  employee_count: number;
}

// The account's root first, then portal nodes, then departments; by name within each.
const ORDER = `((CASE d.kind WHEN 'root' THEN '0' WHEN 'portal' THEN '1' ELSE '2' END) || lower(d.name))`;

const COLUMNS = `d.id, d.name, d.parent_id, d.kind, d.connection_id, d.bitrix24_id, d.head_employee_id, d.supervisor_employee_id, d.head_problem,
  d.present, d.in_scope,
  (SELECT ${untaggedNameSql('h')} FROM employee h WHERE h.id = d.head_employee_id AND h.account_id = d.account_id) AS head_name,
  (SELECT ${untaggedNameSql('s')} FROM employee s WHERE s.id = d.supervisor_employee_id AND s.account_id = d.account_id) AS supervisor_name,
  (SELECT count(*)::int FROM employee_department x JOIN bitrix24_user_link l ON l.employee_id = x.employee_id AND l.connection_id = x.connection_id
    WHERE x.department_id = d.id AND l.state = 'active') AS employee_count`;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The organization tree's reads. Every query is scoped by the account (`$1`). */
@Injectable()
export class DepartmentsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(accountId: string, filter: { connectionId?: string; q?: string }, limit: number, cursor?: string): Promise<{ rows: DepartmentRow[]; nextCursor: string | null }> {
    const sql = new SqlParams(accountId);
    const where = ['d.account_id = $1'];
    if (filter.connectionId) where.push(`d.connection_id = ${sql.param(filter.connectionId)}::uuid`);
    const q = filter.q?.trim();
    if (q) where.push(`lower(d.name) LIKE ${sql.param(`%${escapeLike(q.toLowerCase())}%`)}`);
    if (cursor) {
      const { sortValue, id } = decodeKeysetCursor(cursor);
      where.push(`(${ORDER}, d.id) > (${sql.param(sortValue)}::text, ${sql.param(id)}::uuid)`);
    }
    const rows: Array<DepartmentRow & { sort_value: string }> = await this.db.query(
      `SELECT ${COLUMNS}, ${ORDER} AS sort_value FROM department d WHERE ${where.join(' AND ')} ORDER BY ${ORDER}, d.id LIMIT ${sql.param(limit + 1)}`,
      sql.values,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { rows: page, nextCursor: rows.length > limit && last ? encodeKeysetCursor(last.sort_value, last.id) : null };
  }

  async findOne(accountId: string, id: string): Promise<DepartmentRow | null> {
    const rows: DepartmentRow[] = await this.db.query(`SELECT ${COLUMNS} FROM department d WHERE d.account_id = $1 AND d.id = $2`, [accountId, id]);
    return rows[0] ?? null;
  }
}
