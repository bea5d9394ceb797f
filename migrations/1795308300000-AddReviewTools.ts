import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Review tools (issue 14):
 * - sync_run.dry_run: a preview run reads the portal and reports every outcome, and writes
 *   no employee, link, phone or responsible-list row;
 * - manual links: bitrix24_user_link.matched_by 'manual' (the owner chose the employee);
 * - exclusions: a Bitrix24 user the owner unlinked is not matched again until the owner
 *   removes the exclusion (or links them by hand);
 * - audit_event: who (which API key) did what when, account-scoped, append-only.
 */
export class AddReviewTools1795308300000 implements MigrationInterface {
  name = 'AddReviewTools1795308300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sync_run ADD COLUMN dry_run boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE bitrix24_user_link DROP CONSTRAINT bitrix24_user_link_matched_by_check`);
    await q.query(`ALTER TABLE bitrix24_user_link ADD CONSTRAINT bitrix24_user_link_matched_by_check CHECK (matched_by IN ('created', 'email', 'manual'))`);
    await q.query(`
      CREATE TABLE bitrix24_user_exclusion (
        connection_id uuid NOT NULL REFERENCES bitrix24_connection(id),
        bitrix24_user_id integer NOT NULL CHECK (bitrix24_user_id > 0),
        account_id uuid NOT NULL REFERENCES account(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by_key_id uuid REFERENCES api_key(id),
        PRIMARY KEY (connection_id, bitrix24_user_id)
      )`);
    await q.query(`
      CREATE TABLE audit_event (
        id bigserial PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES account(id),
        at timestamptz NOT NULL DEFAULT now(),
        key_id uuid REFERENCES api_key(id),
        action text NOT NULL,
        connection_id uuid,
        bitrix24_user_id integer,
        employee_id uuid,
        details jsonb
      )`);
    await q.query(`CREATE INDEX audit_event_account_idx ON audit_event (account_id, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_event`);
    await q.query(`DROP TABLE bitrix24_user_exclusion`);
    await q.query(`UPDATE bitrix24_user_link SET matched_by = 'email' WHERE matched_by = 'manual'`);
    await q.query(`ALTER TABLE bitrix24_user_link DROP CONSTRAINT bitrix24_user_link_matched_by_check`);
    await q.query(`ALTER TABLE bitrix24_user_link ADD CONSTRAINT bitrix24_user_link_matched_by_check CHECK (matched_by IN ('created', 'email'))`);
    await q.query(`ALTER TABLE sync_run DROP COLUMN dry_run`);
  }
}
