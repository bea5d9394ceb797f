import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A connection whose Bitrix24 user is not a portal administrator (user.admin false) is
 * `insufficient_rights`: not polled, like `reauth_required`, until an administrator
 * connects the portal again (src/bitrix24/admin-rights.ts).
 */
export class AddInsufficientRightsState1795307100000 implements MigrationInterface {
  name = 'AddInsufficientRightsState1795307100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE bitrix24_connection DROP CONSTRAINT bitrix24_connection_state_check`);
    await q.query(`ALTER TABLE bitrix24_connection ADD CONSTRAINT bitrix24_connection_state_check
                   CHECK (state IN ('active', 'reauth_required', 'insufficient_rights', 'uninstalled', 'disconnected'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The older schema has no such state; such a connection needs re-authorization there too.
    await q.query(`UPDATE bitrix24_connection SET state = 'reauth_required' WHERE state = 'insufficient_rights'`);
    await q.query(`ALTER TABLE bitrix24_connection DROP CONSTRAINT bitrix24_connection_state_check`);
    await q.query(`ALTER TABLE bitrix24_connection ADD CONSTRAINT bitrix24_connection_state_check
                   CHECK (state IN ('active', 'reauth_required', 'uninstalled', 'disconnected'))`);
  }
}
