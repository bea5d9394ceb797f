import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The worker's claim asks, for every active connection at every tick and after every finished
 * job, whether it has a queued or running run (src/sync/sync-leases.repository.ts). Without this
 * partial index that walks each connection's whole run history (48 runs a day at the default
 * interval); with it, only the few runs in flight.
 */
export class AddRunInFlightIndex1795308150000 implements MigrationInterface {
  name = 'AddRunInFlightIndex1795308150000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX sync_run_in_flight_idx ON sync_run (connection_id, queued_at) WHERE status IN ('queued', 'running')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX sync_run_in_flight_idx`);
  }
}
