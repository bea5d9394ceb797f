import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The standing-problems list (issue 12): the current state of who a connection cannot import
 * (skipped, with reason and the offending value) or whose phones were rejected. One row per
 * (connection, Bitrix24 user, kind), written with the chunk that saw it. This is report state,
 * not employees: a problem that was fixed is deleted.
 */
export class AddSyncProblems1795308500000 implements MigrationInterface {
  name = 'AddSyncProblems1795308500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sync_problem (
        connection_id uuid NOT NULL REFERENCES bitrix24_connection(id),
        bitrix24_user_id integer NOT NULL CHECK (bitrix24_user_id > 0),
        kind text NOT NULL CHECK (kind IN ('skipped', 'phone_rejected')),
        account_id uuid NOT NULL REFERENCES account(id),
        reason text,
        name text,
        details jsonb,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        last_run_id uuid NOT NULL,
        PRIMARY KEY (connection_id, bitrix24_user_id, kind)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sync_problem`);
  }
}
