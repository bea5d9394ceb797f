import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/query-rows';

/** What app.info and event.get said about a connection's installation. */
export interface InstallationFacts {
  appInstalled: boolean | null;
  boundEvents: string[];
  boundOfflineEvents: string[];
}

/** A claimed offline-queue collection (Bitrix24OfflineEventsCollector). */
export interface OfflineClaim {
  accountId: string;
  /** A batch reserved with clear=0 and not cleared yet: read it again first. */
  processId: string | null;
  /** The previous collector's lease was never released: it died, maybe between reserving a batch and storing its process_id. */
  abandoned: boolean;
  clearOnRead: boolean;
}

/**
 * The connection table's SQL for an application's installation state and its offline event
 * queue collector (the columns of migration AddAppInstallationAndOfflineEvents). Kept apart
 * from Bitrix24ConnectionsRepository, which owns credentials and the connection lifecycle.
 */
@Injectable()
export class Bitrix24AppStateRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async recordInstallation(id: string, facts: InstallationFacts): Promise<void> {
    await this.db.query(
      `UPDATE bitrix24_connection SET app_installed = $2, bound_events = $3, bound_offline_events = $4, installation_checked_at = now(), updated_at = now() WHERE id = $1`,
      [id, facts.appInstalled, facts.boundEvents, facts.boundOfflineEvents],
    );
  }

  /**
   * Takes the collector lease of one connection (compare-and-set, any replica), unless another
   * collector holds it or the connection is not an active, bound OAuth connection.
   */
  async claimOffline(id: string, leaseSeconds: number): Promise<OfflineClaim | null> {
    const [row]: Array<{ account_id: string; offline_process_id: string | null; abandoned: boolean; offline_clear_on_read: boolean }> = await queryRows(
      this.db,
      `WITH prev AS (SELECT id, offline_lease_until IS NOT NULL AS abandoned FROM bitrix24_connection WHERE id = $1 FOR UPDATE)
       UPDATE bitrix24_connection c SET offline_lease_until = now() + make_interval(secs => $2)
         FROM prev
        WHERE c.id = prev.id AND c.state = 'active' AND c.auth_type = 'oauth' AND c.account_id IS NOT NULL
          AND (c.offline_lease_until IS NULL OR c.offline_lease_until < now())
       RETURNING c.account_id, c.offline_process_id, prev.abandoned, c.offline_clear_on_read`,
      [id, leaseSeconds],
    );
    return row ? { accountId: row.account_id, processId: row.offline_process_id, abandoned: row.abandoned, clearOnRead: row.offline_clear_on_read } : null;
  }

  /**
   * Connections whose offline queue is due (the cadence of the tick): never read; not read
   * since `since` (this process started: the first tick after the service was down); or,
   * when pushed events cannot reach us (no application token from a proven install, handlers
   * not bound, or the installation not finished), not read for `everyMinutes`. Oldest first.
   */
  async dueForOffline(since: Date, everyMinutes: number, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT id FROM bitrix24_connection
        WHERE state = 'active' AND auth_type = 'oauth' AND account_id IS NOT NULL
          AND (offline_lease_until IS NULL OR offline_lease_until < now())
          AND (offline_collected_at IS NULL OR offline_collected_at < $1
               OR ((application_token_enc IS NULL OR events_bound_at IS NULL OR app_installed IS FALSE)
                   AND offline_collected_at < now() - make_interval(mins => $2)))
        ORDER BY offline_collected_at NULLS FIRST
        LIMIT $3`,
      [since, everyMinutes, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Right after event.offline.get reserved a batch (clear=0), before anything is imported. */
  async setOfflineProcess(id: string, processId: string | null): Promise<void> {
    await this.db.query(`UPDATE bitrix24_connection SET offline_process_id = $2 WHERE id = $1`, [id, processId]);
  }

  /** The portal's plan has no reservation (403 WRONG_LICENSE on clear=0): read with clear=1 from now on. */
  async setOfflineClearOnRead(id: string): Promise<void> {
    await this.db.query(`UPDATE bitrix24_connection SET offline_clear_on_read = true WHERE id = $1`, [id]);
  }

  /** Gives the lease back and records the outcome; a failed read counts as a read for the cadence (no hot retry loop). */
  async releaseOffline(id: string, error: string | null): Promise<void> {
    await this.db.query(
      `UPDATE bitrix24_connection SET offline_lease_until = NULL, offline_collected_at = now(), offline_error = $2 WHERE id = $1`,
      [id, error === null ? null : error.slice(0, 500)],
    );
  }
}
