import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sync runs double as the durable work queue: a queued row is work nobody has done
 * yet (a Synchronize press, a scheduled poll, an ONUSERADD event), so a crash after
 * answering never loses it. Items are the per-user report; pending removals hold
 * what the mass-removal guard stopped until someone confirms.
 */
export class CreateSyncRuns1795305900000 implements MigrationInterface {
  name = 'CreateSyncRuns1795305900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sync_run (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES account(id),
        connection_id uuid NOT NULL REFERENCES bitrix24_connection(id),
        trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'event')),
        status text NOT NULL CHECK (status IN ('queued', 'running', 'awaiting_confirmation', 'succeeded', 'failed')),
        target_user_ids integer[],
        requested_by_key_id uuid REFERENCES api_key(id),
        queued_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        heartbeat_at timestamptz,
        runner_id text,
        attempts integer NOT NULL DEFAULT 0,
        processed integer NOT NULL DEFAULT 0,
        total integer,
        counters jsonb NOT NULL DEFAULT '{}',
        export_complete boolean,
        guard jsonb,
        guard_resolution text CHECK (guard_resolution IN ('confirmed', 'discarded', 'superseded')),
        guard_resolved_by_key_id uuid REFERENCES api_key(id),
        guard_resolved_at timestamptz,
        error_code text,
        error_message text,
        items_pruned_at timestamptz
      )`);
    // Pressing Synchronize while a full run is queued or running returns that run.
    await q.query(`CREATE UNIQUE INDEX sync_run_one_full_run_in_flight ON sync_run (connection_id)
                   WHERE status IN ('queued', 'running') AND trigger <> 'event'`);
    await q.query(`CREATE INDEX sync_run_connection_idx ON sync_run (connection_id, queued_at DESC)`);
    await q.query(`CREATE INDEX sync_run_account_idx ON sync_run (account_id, queued_at DESC)`);
    await q.query(`CREATE INDEX sync_run_queued_idx ON sync_run (connection_id, queued_at) WHERE status = 'queued'`);

    await q.query(`
      CREATE TABLE sync_run_item (
        id bigserial PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES sync_run(id) ON DELETE CASCADE,
        bitrix24_user_id integer,
        -- No foreign key: employees are never deleted (a trigger refuses it), and the
        -- key's check would lock every employee named in every run's report, dirtying
        -- every employee page on an unchanged re-sync (measured in bench/README.md).
        employee_id uuid,
        outcome text NOT NULL,
        reason text,
        name text,
        details jsonb
      )`);
    await q.query(`CREATE INDEX sync_run_item_run_idx ON sync_run_item (run_id, outcome, id)`);

    await q.query(`
      CREATE TABLE sync_pending_removal (
        run_id uuid NOT NULL REFERENCES sync_run(id) ON DELETE CASCADE,
        connection_id uuid NOT NULL REFERENCES bitrix24_connection(id),
        bitrix24_user_id integer NOT NULL,
        kind text NOT NULL CHECK (kind IN ('dismissed', 'deleted')),
        PRIMARY KEY (run_id, bitrix24_user_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sync_pending_removal`);
    await q.query(`DROP TABLE sync_run_item`);
    await q.query(`DROP TABLE sync_run`);
  }
}
