import { MigrationInterface, QueryRunner } from 'typeorm';

/** Telephony accounts and their API keys (keys stored only as SHA-256 hashes). */
export class CreateAccounts1795305600000 implements MigrationInterface {
  name = 'CreateAccounts1795305600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE account (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE api_key (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES account(id),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'integrator', 'viewer')),
        prefix text NOT NULL UNIQUE,
        key_hash text NOT NULL,
        created_by_key_id uuid REFERENCES api_key(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        revoked_reason text
      )`);
    await q.query(`CREATE INDEX api_key_account_idx ON api_key (account_id, created_at)`);
    // Bitrix24's rule for integrators (seeds/004): one active integrator per account.
    await q.query(`CREATE UNIQUE INDEX api_key_one_active_integrator ON api_key (account_id) WHERE role = 'integrator' AND revoked_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_key`);
    await q.query(`DROP TABLE account`);
  }
}
