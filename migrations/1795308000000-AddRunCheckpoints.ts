import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * True run reports across resumes and hand-backs (issue 12, finding 4). A run keeps a
 * checkpoint, written in the same transaction as each chunk's writes and items: where the
 * keyset export stands (`afterUserId`), which stage of the end it reached, and the linked
 * users missing from the pages committed so far (candidates for "deleted"). The counters
 * and `processed` of that same transaction are the committed ones, so a resumed attempt
 * continues after the checkpoint with them and the report equals a clean run's.
 * Attempts are explicit: `attempt_log` has one entry per attempt (runner, start, end, how it ended).
 * Pending removals found by a run are written with the chunk that found them (from_state
 * says whether the link was active, for the mass-removal guard), so they survive a resume.
 */
export class AddRunCheckpoints1795308000000 implements MigrationInterface {
  name = 'AddRunCheckpoints1795308000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sync_run ADD COLUMN checkpoint jsonb, ADD COLUMN attempt_log jsonb NOT NULL DEFAULT '[]'`);
    await q.query(`ALTER TABLE sync_pending_removal ADD COLUMN from_state text NOT NULL DEFAULT 'active'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sync_pending_removal DROP COLUMN from_state`);
    await q.query(`ALTER TABLE sync_run DROP COLUMN attempt_log, DROP COLUMN checkpoint`);
  }
}
