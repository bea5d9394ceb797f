import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A preview may try a department selection before it is saved (issue 14: "before applying a
 * scope change"): the proposed selection rides on the preview run, the connection keeps its own.
 */
export class AddPreviewDepartmentScope1795308400000 implements MigrationInterface {
  name = 'AddPreviewDepartmentScope1795308400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sync_run ADD COLUMN proposed_department_scope jsonb`);
    await q.query(`ALTER TABLE sync_run ADD CONSTRAINT sync_run_proposed_scope_preview_only CHECK (proposed_department_scope IS NULL OR dry_run)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sync_run DROP COLUMN proposed_department_scope`);
  }
}
