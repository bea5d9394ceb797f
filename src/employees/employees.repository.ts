import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { decodeKeysetCursor, encodeKeysetCursor } from '../common/keyset-cursor';
import { DomainException } from '../common/errors/domain.exception';
import { queryRows } from '../database/query-rows';
import { untaggedNameSql } from './employee-sql';

export interface EmployeeRow {
  id: string;
  account_id: string;
  first_name: string;
  last_name: string;
  middle_name: string | null;
  email: string | null;
  extension: string | null;
  source: 'bitrix24' | 'manual';
  active: boolean;
  deactivated_at: Date | null;
  created_at: Date;
  updated_at: Date;
  sort_key: string;
  responsible: boolean;
  manager_id: string | null;
  manager_name: string | null;
}

export interface EmployeeDetails {
  phones: Map<string, Array<{ digits: string; source: string }>>;
  links: Map<string, Array<{ connection_id: string; bitrix24_user_id: number; state: string; state_since: Date; matched_by: string; linked_at: Date; department_ids: number[] }>>;
  departments: Map<string, Array<{ id: string | null; connection_id: string; bitrix24_id: number; name: string | null }>>;
}

export interface EmployeeFilter {
  source?: 'bitrix24' | 'manual';
  bitrix24State?: Array<'active' | 'dismissed' | 'deleted' | 'out_of_scope' | 'unlinked'>;
  connectionId?: string;
  active?: boolean;
  responsible?: boolean;
  q?: string;
  departmentId?: string;
  includeSubdepartments?: boolean;
  managerId?: string;
}

/**
 * The department and, when asked, every department beneath it — of this account only
 * (`$1`). UNION, not UNION ALL: a loop in stored parents would end instead of spinning.
 */
export function departmentSubtreeSql(departmentId: string, includeSubdepartments: boolean): string {
  if (!includeSubdepartments) return `SELECT id FROM department WHERE account_id = $1 AND id = ${departmentId}`;
  return `WITH RECURSIVE sub(id) AS (
            SELECT id FROM department WHERE account_id = $1 AND id = ${departmentId}
            UNION SELECT c.id FROM department c JOIN sub ON c.parent_id = sub.id WHERE c.account_id = $1)
          SELECT id FROM sub`;
}

export const EMPLOYEE_SORTS = ['name', '-name', 'email', '-email', 'created', '-created'] as const;
export type EmployeeSort = (typeof EMPLOYEE_SORTS)[number];

/**
 * Each sort is a keyset over (order expression, id). The cursor carries the value as text
 * (created_at to the microsecond) and it is compared back with the expression's own type.
 * People without an email come after everyone else ('1' sorts after '0…' in any collation).
 */
const SORT_COLUMNS: Record<'name' | 'email' | 'created', { order: string; cursorValue: string; type: string }> = {
  name: { order: 'e.sort_key', cursorValue: 'e.sort_key', type: 'text' },
  email: {
    order: `(CASE WHEN e.email_normalized IS NULL THEN '1' ELSE '0' || e.email_normalized END)`,
    cursorValue: `(CASE WHEN e.email_normalized IS NULL THEN '1' ELSE '0' || e.email_normalized END)`,
    type: 'text',
  },
  created: { order: 'e.created_at', cursorValue: `to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`, type: 'timestamptz' },
};

const EMPLOYEE_COLUMNS = `e.id, e.account_id, e.first_name, e.last_name, e.middle_name, e.email, e.extension, e.source,
         e.active, e.deactivated_at, e.created_at, e.updated_at, e.sort_key, e.manager_id,
         (SELECT ${untaggedNameSql('m')} FROM employee m WHERE m.id = e.manager_id AND m.account_id = e.account_id) AS manager_name,
         EXISTS (SELECT 1 FROM responsible_employee r WHERE r.account_id = e.account_id AND r.employee_id = e.id) AS responsible`;
const SELECT_EMPLOYEE = `SELECT ${EMPLOYEE_COLUMNS} FROM employee e`;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Collects positional parameters for one statement: `param(v)` returns `$n`. */
export class SqlParams {
  readonly values: unknown[] = [];
  constructor(...initial: unknown[]) {
    this.values.push(...initial);
  }
  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * The directory's filters as SQL conditions over `employee e` (account scope included; the
 * account id must be `$1`). One builder for the list, its total, the CSV export and the
 * bulk "add to responsible", so all four always mean the same people.
 */
export function employeeFilterSql(filter: EmployeeFilter, sql: SqlParams): string[] {
  const where: string[] = ['e.account_id = $1'];
  const param = (value: unknown) => sql.param(value);
  if (filter.source) where.push(`e.source = ${param(filter.source)}`);
  if (filter.active !== undefined) where.push(`e.active = ${param(filter.active)}`);
  if (filter.responsible !== undefined) {
    where.push(`${filter.responsible ? '' : 'NOT '}EXISTS (SELECT 1 FROM responsible_employee r WHERE r.account_id = e.account_id AND r.employee_id = e.id)`);
  }
  const states = filter.bitrix24State ?? [];
  const linkStates = states.filter((state) => state !== 'unlinked');
  const connection = filter.connectionId ? ` AND l.connection_id = ${param(filter.connectionId)}` : '';
  const alternatives: string[] = [];
  if (states.includes('unlinked')) {
    alternatives.push(`NOT EXISTS (SELECT 1 FROM bitrix24_user_link l WHERE l.employee_id = e.id${connection})`);
  }
  if (linkStates.length || (!states.length && filter.connectionId)) {
    const stateCondition = linkStates.length ? ` AND l.state = ANY(${param(linkStates)}::text[])` : '';
    alternatives.push(`EXISTS (SELECT 1 FROM bitrix24_user_link l WHERE l.employee_id = e.id AND l.account_id = e.account_id${stateCondition}${connection})`);
  }
  if (alternatives.length) where.push(`(${alternatives.join(' OR ')})`);
  if (filter.departmentId) {
    // With a connection or link-state filter, membership counts only through such links.
    const through = linkStates.length || filter.connectionId
      ? ` AND EXISTS (SELECT 1 FROM bitrix24_user_link l WHERE l.employee_id = x.employee_id AND l.connection_id = x.connection_id${linkStates.length ? ` AND l.state = ANY(${param(linkStates)}::text[])` : ''}${filter.connectionId ? ` AND l.connection_id = ${param(filter.connectionId)}` : ''})`
      : '';
    where.push(`EXISTS (SELECT 1 FROM employee_department x WHERE x.employee_id = e.id
                   AND x.department_id IN (${departmentSubtreeSql(`${param(filter.departmentId)}::uuid`, filter.includeSubdepartments === true)})${through})`);
  }
  if (filter.managerId) where.push(`e.manager_id = ${param(filter.managerId)}::uuid`);
  const q = filter.q?.trim();
  if (q) {
    const pattern = param(`%${escapeLike(q.toLowerCase())}%`);
    const matches = [
      `lower(e.last_name || ' ' || e.first_name || ' ' || coalesce(e.middle_name, '')) LIKE ${pattern}`,
      `lower(e.first_name || ' ' || e.last_name) LIKE ${pattern}`,
      `e.email_normalized LIKE ${pattern}`,
    ];
    const digits = q.replace(/\D/g, '');
    if (digits.length >= 3 && /^[\d\s()+\-.]+$/.test(q)) {
      const digitPattern = param(`%${digits}%`);
      matches.push(`EXISTS (SELECT 1 FROM employee_phone p WHERE p.employee_id = e.id AND p.digits LIKE ${digitPattern})`);
      matches.push(`e.extension LIKE ${digitPattern}`);
    }
    where.push(`(${matches.join(' OR ')})`);
  }
  return where;
}

/** A cursor belongs to one sort: reusing it under another is refused, not silently wrong. */
function decodeSortCursor(cursor: string, sort: EmployeeSort): { value: string; id: string } {
  const { sortValue, id } = decodeKeysetCursor(cursor);
  const bar = sortValue.indexOf('|');
  const tag = bar > 0 ? sortValue.slice(0, bar) : 'name';
  if (tag !== sort) throw new DomainException('invalid', 'invalid_cursor', 'cursor belongs to another sort order; start from the first page');
  return { value: bar > 0 ? sortValue.slice(bar + 1) : sortValue, id };
}

const encodeSortCursor = (sort: EmployeeSort, value: string, id: string) => encodeKeysetCursor(sort === 'name' ? value : `${sort}|${value}`, id);

/**
 * The employee directory's SQL. Every method takes the account id and filters by
 * it: no query here can read or change another account's employees.
 */
@Injectable()
export class EmployeesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(accountId: string, filter: EmployeeFilter, limit: number, cursor?: string, sort: EmployeeSort = 'name'): Promise<{ rows: EmployeeRow[]; nextCursor: string | null }> {
    const sql = new SqlParams(accountId);
    const where = employeeFilterSql(filter, sql);
    const descending = sort.startsWith('-');
    const column = SORT_COLUMNS[sort.replace(/^-/, '') as keyof typeof SORT_COLUMNS];
    if (cursor) {
      const position = decodeSortCursor(cursor, sort);
      where.push(`(${column.order}, e.id) ${descending ? '<' : '>'} (${sql.param(position.value)}::${column.type}, ${sql.param(position.id)}::uuid)`);
    }
    const direction = descending ? 'DESC' : 'ASC';
    const rows: Array<EmployeeRow & { sort_value: string }> = await this.db.query(
      `SELECT ${EMPLOYEE_COLUMNS}, ${column.cursorValue} AS sort_value FROM employee e
        WHERE ${where.join(' AND ')} ORDER BY ${column.order} ${direction}, e.id ${direction} LIMIT ${sql.param(limit + 1)}`,
      sql.values,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { rows: page, nextCursor: rows.length > limit && last ? encodeSortCursor(sort, last.sort_value, last.id) : null };
  }

  /** How many employees the filters match (the list's `total`). */
  async count(accountId: string, filter: EmployeeFilter): Promise<number> {
    const sql = new SqlParams(accountId);
    const where = employeeFilterSql(filter, sql);
    const [row]: Array<{ n: number }> = await this.db.query(`SELECT count(*)::int AS n FROM employee e WHERE ${where.join(' AND ')}`, sql.values);
    return row?.n ?? 0;
  }

  async findOne(accountId: string, id: string, manager: EntityManager = this.db.manager): Promise<EmployeeRow | null> {
    const rows: EmployeeRow[] = await manager.query(`${SELECT_EMPLOYEE} WHERE e.account_id = $1 AND e.id = $2`, [accountId, id]);
    return rows[0] ?? null;
  }

  /** The responsible-employees list, ordered like the directory. */
  async listResponsible(accountId: string): Promise<EmployeeRow[]> {
    return this.db.query(
      `${SELECT_EMPLOYEE} WHERE e.account_id = $1
          AND EXISTS (SELECT 1 FROM responsible_employee r WHERE r.account_id = e.account_id AND r.employee_id = e.id)
        ORDER BY e.sort_key, e.id`,
      [accountId],
    );
  }

  /** Phones (ordered), Bitrix24 links and departments of a page of employees, in three queries. */
  async details(accountId: string, employeeIds: string[], manager: EntityManager = this.db.manager): Promise<EmployeeDetails> {
    const result: EmployeeDetails = { phones: new Map(), links: new Map(), departments: new Map() };
    if (!employeeIds.length) return result;
    const group = <T>(map: Map<string, T[]>, key: string, value: T) => map.set(key, [...(map.get(key) ?? []), value]);
    const phones: Array<{ employee_id: string; digits: string; source: string }> = await manager.query(
      `SELECT p.employee_id, p.digits, p.source FROM employee_phone p JOIN employee e ON e.id = p.employee_id
        WHERE e.account_id = $1 AND p.employee_id = ANY($2::uuid[]) ORDER BY p.employee_id, p.position`,
      [accountId, employeeIds],
    );
    for (const p of phones) group(result.phones, p.employee_id, { digits: p.digits, source: p.source });
    const links: Array<{ employee_id: string; connection_id: string; bitrix24_user_id: number; state: string; state_since: Date; matched_by: string; linked_at: Date; department_ids: number[] }> =
      await manager.query(
        `SELECT employee_id, connection_id, bitrix24_user_id, state, state_since, matched_by, linked_at, department_ids
           FROM bitrix24_user_link WHERE account_id = $1 AND employee_id = ANY($2::uuid[]) ORDER BY linked_at`,
        [accountId, employeeIds],
      );
    for (const l of links) group(result.links, l.employee_id, l);
    // In UF_DEPARTMENT order per link (Bitrix24's order), links in the order they were made.
    const departments: Array<{ employee_id: string; id: string | null; connection_id: string; bitrix24_id: number; name: string | null }> = await manager.query(
      `SELECT l.employee_id, d.id, l.connection_id, o.bid AS bitrix24_id, d.name
         FROM bitrix24_user_link l
         CROSS JOIN LATERAL unnest(l.department_ids) WITH ORDINALITY AS o(bid, pos)
         LEFT JOIN department d ON d.connection_id = l.connection_id AND d.kind = 'bitrix24' AND d.bitrix24_id = o.bid
        WHERE l.account_id = $1 AND l.employee_id = ANY($2::uuid[])
        ORDER BY l.employee_id, l.linked_at, l.connection_id, o.pos`,
      [accountId, employeeIds],
    );
    for (const d of departments) group(result.departments, d.employee_id, { id: d.id, connection_id: d.connection_id, bitrix24_id: d.bitrix24_id, name: d.name });
    return result;
  }

  async insertManual(
    manager: EntityManager,
    accountId: string,
    input: { firstName: string; lastName: string; middleName: string | null; email: string | null; extension: string | null },
  ): Promise<string> {
    const [row]: Array<{ id: string }> = await manager.query(
      `INSERT INTO employee (account_id, first_name, last_name, middle_name, email, extension, source)
       VALUES ($1, $2, $3, $4, $5, $6, 'manual') RETURNING id`,
      [accountId, input.firstName, input.lastName, input.middleName, input.email, input.extension],
    );
    return row.id;
  }

  async update(
    manager: EntityManager,
    accountId: string,
    id: string,
    patch: Partial<{ first_name: string; last_name: string; middle_name: string | null; email: string | null; extension: string | null }>,
  ): Promise<void> {
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
    if (!entries.length) return;
    const sets = entries.map(([column], i) => `${column} = $${i + 3}`);
    await manager.query(`UPDATE employee SET ${sets.join(', ')}, updated_at = now() WHERE account_id = $1 AND id = $2`, [
      accountId,
      id,
      ...entries.map(([, v]) => v),
    ]);
  }

  async replacePhones(manager: EntityManager, accountId: string, id: string, digits: string[], source: string): Promise<void> {
    await manager.query(
      `DELETE FROM employee_phone p USING employee e WHERE e.id = p.employee_id AND e.account_id = $1 AND p.employee_id = $2`,
      [accountId, id],
    );
    if (!digits.length) return;
    await manager.query(
      `INSERT INTO employee_phone (employee_id, position, digits, source)
       SELECT $2, t.ord, t.digits, $4 FROM unnest($3::text[]) WITH ORDINALITY AS t(digits, ord)
        WHERE EXISTS (SELECT 1 FROM employee WHERE id = $2 AND account_id = $1)`,
      [accountId, id, digits, source],
    );
  }

  /** Soft (de)activation; returns false when no such employee in the account. */
  async setActive(manager: EntityManager, accountId: string, id: string, active: boolean): Promise<boolean> {
    const rows: unknown[] = await queryRows(manager, `UPDATE employee SET active = $3, deactivated_at = CASE WHEN $3 THEN NULL ELSE coalesce(deactivated_at, now()) END, updated_at = now()
        WHERE account_id = $1 AND id = $2 RETURNING id`,
      [accountId, id, active],
    );
    return rows.length > 0;
  }
}
