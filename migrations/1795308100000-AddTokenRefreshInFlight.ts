import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A token refresh is recorded before it is sent (issue 12, finding 1): Bitrix24 rotates the
 * refresh token when it answers (settings/oauth/auto-renewal.md, "Retain the new pair instead
 * of the previous one"), so a refresh whose answer never arrived may have spent the stored
 * token. `refresh_started_at` says one is in flight since when (a replica that died mid-refresh
 * leaves it behind); `refresh_unanswered_at`, that one ended without an answer. Both are
 * cleared when a new pair is stored.
 */
export class AddTokenRefreshInFlight1795308100000 implements MigrationInterface {
  name = 'AddTokenRefreshInFlight1795308100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE bitrix24_connection ADD COLUMN refresh_started_at timestamptz, ADD COLUMN refresh_unanswered_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE bitrix24_connection DROP COLUMN refresh_started_at, DROP COLUMN refresh_unanswered_at`);
  }
}
