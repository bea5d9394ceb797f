import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows';

export interface LinkRow {
  bitrix24_user_id: number;
  employee_id: string;
  state: string;
  matched_by: string;
}

export interface ExclusionRow {
  bitrix24_user_id: number;
  created_at: Date;
  created_by_key_id: string | null;
  created_by_key_name: string | null;
  employee_id: string | null;
  name: string | null;
}

/**
 * The owner's decisions about Bitrix24 users: manual links (bitrix24_user_link with
 * matched_by 'manual') and exclusions (bitrix24_user_exclusion). Every statement is
 * scoped by connection and account, and runs in the caller's transaction.
 */
@Injectable()
export class UserLinksRepository {
  async linkOf(m: EntityManager, connectionId: string, bitrix24UserId: number): Promise<LinkRow | null> {
    const [row]: LinkRow[] = await m.query(`SELECT bitrix24_user_id, employee_id, state, matched_by FROM bitrix24_user_link WHERE connection_id = $1 AND bitrix24_user_id = $2 FOR UPDATE`, [connectionId, bitrix24UserId]);
    return row ?? null;
  }

  /** The user of this portal the employee already stands for, if any. */
  async userLinkedTo(m: EntityManager, connectionId: string, employeeId: string): Promise<number | null> {
    const [row]: Array<{ bitrix24_user_id: number }> = await m.query(`SELECT bitrix24_user_id FROM bitrix24_user_link WHERE connection_id = $1 AND employee_id = $2`, [connectionId, employeeId]);
    return row?.bitrix24_user_id ?? null;
  }

  async employeeExists(m: EntityManager, accountId: string, employeeId: string): Promise<boolean> {
    const rows: unknown[] = await m.query(`SELECT 1 FROM employee WHERE account_id = $1 AND id = $2`, [accountId, employeeId]);
    return rows.length > 0;
  }

  /**
   * Links the user to the employee by the owner's choice. A new link starts active (the next
   * run reads the user's real state); a changed one keeps its state. Linking by hand lifts an
   * exclusion of the same user.
   */
  async setManualLink(m: EntityManager, accountId: string, connectionId: string, bitrix24UserId: number, employeeId: string): Promise<void> {
    await m.query(
      `INSERT INTO bitrix24_user_link (connection_id, bitrix24_user_id, account_id, employee_id, state, matched_by)
       VALUES ($1, $2, $3, $4, 'active', 'manual')
       ON CONFLICT (connection_id, bitrix24_user_id) DO UPDATE
         SET employee_id = EXCLUDED.employee_id, matched_by = 'manual', linked_at = now(), updated_at = now()`,
      [connectionId, bitrix24UserId, accountId, employeeId],
    );
    await m.query(`DELETE FROM bitrix24_user_exclusion WHERE connection_id = $1 AND bitrix24_user_id = $2`, [connectionId, bitrix24UserId]);
    // Linking by email would make a manual employee Bitrix24-managed; so does the owner's link.
    await m.query(`UPDATE employee SET source = 'bitrix24', updated_at = now() WHERE account_id = $1 AND id = $2 AND source <> 'bitrix24'`, [accountId, employeeId]);
  }

  /** Unlinks (the employee stays, whatever happens) and excludes the user from matching. */
  async unlinkAndExclude(m: EntityManager, accountId: string, connectionId: string, bitrix24UserId: number, keyId: string): Promise<void> {
    await m.query(`DELETE FROM bitrix24_user_link WHERE connection_id = $1 AND bitrix24_user_id = $2`, [connectionId, bitrix24UserId]);
    await m.query(
      `INSERT INTO bitrix24_user_exclusion (connection_id, bitrix24_user_id, account_id, created_by_key_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [connectionId, bitrix24UserId, accountId, keyId],
    );
  }

  /** true when there was an exclusion to lift. */
  async removeExclusion(m: EntityManager, connectionId: string, bitrix24UserId: number): Promise<boolean> {
    const rows = await queryRows(m, `DELETE FROM bitrix24_user_exclusion WHERE connection_id = $1 AND bitrix24_user_id = $2 RETURNING bitrix24_user_id`, [connectionId, bitrix24UserId]);
    return rows.length > 0;
  }

  /**
   * Each exclusion with who made it and who the person is: the employee they were unlinked
   * from (the latest unlink in the audit trail; the employee is kept), else the name the last
   * run read from Bitrix24.
   */
  async exclusions(m: EntityManager, connectionId: string): Promise<ExclusionRow[]> {
    return m.query(
      `SELECT x.bitrix24_user_id, x.created_at, x.created_by_key_id, k.name AS created_by_key_name, e.id AS employee_id,
              COALESCE(CASE WHEN e.id IS NOT NULL THEN concat_ws(' ', e.last_name, e.first_name, e.middle_name) END, p.name) AS name
         FROM bitrix24_user_exclusion x
         LEFT JOIN api_key k ON k.id = x.created_by_key_id AND k.account_id = x.account_id
         LEFT JOIN LATERAL (
           SELECT a.employee_id FROM audit_event a
            WHERE a.account_id = x.account_id AND a.connection_id = x.connection_id AND a.bitrix24_user_id = x.bitrix24_user_id AND a.action = 'user_link.removed'
            ORDER BY a.id DESC LIMIT 1
         ) unlinked ON true
         LEFT JOIN employee e ON e.id = unlinked.employee_id AND e.account_id = x.account_id
         LEFT JOIN sync_problem p ON p.connection_id = x.connection_id AND p.bitrix24_user_id = x.bitrix24_user_id AND p.kind = 'skipped'
        WHERE x.connection_id = $1
        ORDER BY x.bitrix24_user_id`,
      [connectionId],
    );
  }
}
