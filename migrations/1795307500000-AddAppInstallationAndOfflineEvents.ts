import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Interface apps and offline events (issue 11, items 3 and 7):
 * - what app.info and event.get last said: the installation finished (INSTALLED), the
 *   online events bound to our handler, the events bound as offline events, and when;
 * - the offline-queue collector's state: a short lease (one collector per connection, across
 *   replicas), the process_id of a batch reserved and not yet cleared (so a crash between
 *   reading and importing loses nothing), the last successful read, whether the portal's plan
 *   lacks reservation (clear=0), and the last error.
 */
export class AddAppInstallationAndOfflineEvents1795307500000 implements MigrationInterface {
  name = 'AddAppInstallationAndOfflineEvents1795307500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE bitrix24_connection
        ADD COLUMN app_installed boolean,
        ADD COLUMN bound_events text[],
        ADD COLUMN bound_offline_events text[],
        ADD COLUMN installation_checked_at timestamptz,
        ADD COLUMN offline_lease_until timestamptz,
        ADD COLUMN offline_process_id text,
        ADD COLUMN offline_collected_at timestamptz,
        ADD COLUMN offline_clear_on_read boolean NOT NULL DEFAULT false,
        ADD COLUMN offline_error text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE bitrix24_connection
        DROP COLUMN app_installed,
        DROP COLUMN bound_events,
        DROP COLUMN bound_offline_events,
        DROP COLUMN installation_checked_at,
        DROP COLUMN offline_lease_until,
        DROP COLUMN offline_process_id,
        DROP COLUMN offline_collected_at,
        DROP COLUMN offline_clear_on_read,
        DROP COLUMN offline_error`);
  }
}
