import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/query-rows';

/**
 * The connection leases the worker runs under (vendure's scheduler pattern: a table, a
 * conditional UPDATE, a lease that expires by itself). A connection is claimed with
 * `FOR UPDATE SKIP LOCKED`, so replicas never run one portal twice at once; a replica that
 * dies stops renewing and its lease simply expires.
 */
@Injectable()
export class SyncLeasesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Leases up to `capacity` connections with work for `runnerId`: queued or orphaned runs
   * (always), schedule-due ones only with `includeDue`. Fair across accounts (issue 12,
   * finding 3): each candidate's turn is its account's connections already leased plus its
   * rank among that account's candidates by due time, so a small account's portal never waits
   * behind a big account's hundreds; within a turn the longest-waiting goes first.
   */
  async claim(runnerId: string, includeDue: boolean, capacity: number, exclude: string[], leaseSeconds: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await queryRows(this.db, `WITH busy AS (
         SELECT account_id, count(*)::int AS leased FROM bitrix24_connection WHERE lease_expires_at >= now() GROUP BY account_id
       ), ready AS (
         SELECT c.id, c.account_id, least(CASE WHEN $2 THEN c.next_sync_at END, q.first_queued) AS due
           FROM bitrix24_connection c
           LEFT JOIN LATERAL (SELECT min(r.queued_at) AS first_queued FROM sync_run r
                               WHERE r.connection_id = c.id AND r.status IN ('queued', 'running')) q ON true
          WHERE c.account_id IS NOT NULL AND c.state = 'active'
            AND (c.lease_expires_at IS NULL OR c.lease_expires_at < now())
            AND NOT (c.id = ANY($4::uuid[]))
            AND (($2 AND c.next_sync_at <= now()) OR q.first_queued IS NOT NULL)
       ), ranked AS (
         SELECT r.id, r.due, coalesce(b.leased, 0) + row_number() OVER (PARTITION BY r.account_id ORDER BY r.due NULLS FIRST, r.id) AS turn
           FROM ready r LEFT JOIN busy b ON b.account_id = r.account_id
          ORDER BY turn, r.due NULLS FIRST
          LIMIT $3 * 4
       ), picked AS (
         SELECT c.id FROM bitrix24_connection c JOIN ranked k ON k.id = c.id
          WHERE c.lease_expires_at IS NULL OR c.lease_expires_at < now()
          ORDER BY k.turn, k.due NULLS FIRST
          LIMIT $3
          FOR UPDATE OF c SKIP LOCKED
       )
       UPDATE bitrix24_connection c SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $5)
         FROM picked WHERE c.id = picked.id
       RETURNING c.id`,
      [runnerId, includeDue, capacity, exclude, leaseSeconds],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Extends the connection's lease and stamps the running run's heartbeat (its last sign of
   * life, which a stalled run shows as "since"); false when the lease is someone else's now.
   */
  async renew(connectionId: string, runnerId: string, leaseSeconds: number): Promise<boolean> {
    const rows: unknown[] = await queryRows(this.db, `WITH lease AS (
         UPDATE bitrix24_connection SET lease_expires_at = now() + make_interval(secs => $3) WHERE id = $1 AND lease_owner = $2 RETURNING id
       ), beat AS (
         UPDATE sync_run SET heartbeat_at = now() WHERE connection_id = $1 AND status = 'running' AND runner_id = $2 AND EXISTS (SELECT 1 FROM lease) RETURNING id
       ) SELECT id FROM lease`,
      [connectionId, runnerId, leaseSeconds],
    );
    return rows.length > 0;
  }

  /** Gives the lease up unless work was queued meanwhile (then keeps it and returns false). */
  async release(connectionId: string, runnerId: string, force = false): Promise<boolean> {
    const rows: unknown[] = await queryRows(this.db, `UPDATE bitrix24_connection SET lease_owner = NULL, lease_expires_at = NULL
        WHERE id = $1 AND lease_owner = $2
          AND ($3 OR state <> 'active' OR NOT EXISTS (SELECT 1 FROM sync_run r WHERE r.connection_id = $1 AND r.status = 'queued'))
        RETURNING id`,
      [connectionId, runnerId, force],
    );
    if (rows.length) return true;
    const [still]: Array<{ mine: boolean }> = await this.db.query(`SELECT lease_owner = $2 AS mine FROM bitrix24_connection WHERE id = $1`, [connectionId, runnerId]);
    return !still?.mine;
  }
}
