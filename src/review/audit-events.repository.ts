import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export type AuditAction = 'user_link.set' | 'user_link.removed' | 'user_exclusion.removed' | 'user_check.applied';

export interface AuditEntry {
  accountId: string;
  keyId: string | null;
  action: AuditAction;
  connectionId?: string | null;
  bitrix24UserId?: number | null;
  employeeId?: string | null;
  details?: Record<string, unknown> | null;
}

export interface AuditEventRow {
  id: string;
  at: Date;
  key_id: string | null;
  key_name: string | null;
  key_role: string | null;
  action: string;
  connection_id: string | null;
  bitrix24_user_id: number | null;
  employee_id: string | null;
  employee_name: string | null;
  details: Record<string, unknown> | null;
}

/** audit_event: append-only (no UPDATE or DELETE anywhere), every read scoped to the account. */
@Injectable()
export class AuditEventsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** In the caller's transaction, so an owner's decision and its record are written together. */
  async record(manager: EntityManager, entry: AuditEntry): Promise<void> {
    await manager.query(
      `INSERT INTO audit_event (account_id, key_id, action, connection_id, bitrix24_user_id, employee_id, details) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [entry.accountId, entry.keyId, entry.action, entry.connectionId ?? null, entry.bitrix24UserId ?? null, entry.employeeId ?? null, entry.details ? JSON.stringify(entry.details) : null],
    );
  }

  async list(accountId: string, filter: { connectionId?: string; bitrix24UserId?: number }, limit: number, beforeId?: string): Promise<AuditEventRow[]> {
    const where = ['a.account_id = $1'];
    const params: unknown[] = [accountId];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.connectionId) where.push(`a.connection_id = ${param(filter.connectionId)}`);
    if (filter.bitrix24UserId) where.push(`a.bitrix24_user_id = ${param(filter.bitrix24UserId)}`);
    if (beforeId) where.push(`a.id < ${param(beforeId)}::bigint`);
    return this.db.query(
      `SELECT a.id::text AS id, a.at, a.key_id, k.name AS key_name, k.role AS key_role, a.action, a.connection_id, a.bitrix24_user_id, a.employee_id,
              CASE WHEN e.id IS NOT NULL THEN concat_ws(' ', e.last_name, e.first_name, e.middle_name) END AS employee_name, a.details
         FROM audit_event a
         LEFT JOIN api_key k ON k.id = a.key_id AND k.account_id = a.account_id
         LEFT JOIN employee e ON e.id = a.employee_id AND e.account_id = a.account_id
        WHERE ${where.join(' AND ')} ORDER BY a.id DESC LIMIT ${param(limit + 1)}`,
      params,
    );
  }
}
