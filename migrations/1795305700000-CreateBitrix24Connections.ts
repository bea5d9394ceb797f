import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per Bitrix24 portal (member_id is its stable identity; the domain can
 * change). A row may exist before it belongs to an account: the install callback can
 * arrive before the owner finishes OAuth. Secrets are stored sealed (enc1:… AES-GCM).
 * The sync scheduler's state (due time, lease, failures) lives on the row too.
 */
export class CreateBitrix24Connections1795305700000 implements MigrationInterface {
  name = 'CreateBitrix24Connections1795305700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE bitrix24_connection (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid REFERENCES account(id),
        member_id text NOT NULL UNIQUE,
        auth_type text NOT NULL CHECK (auth_type IN ('oauth', 'webhook')),
        domain text NOT NULL,
        client_endpoint text,
        server_endpoint text,
        scope text,
        app_status text,
        edition text NOT NULL DEFAULT 'cloud' CHECK (edition IN ('cloud', 'on_premise')),
        application_token_enc text,
        access_token_enc text,
        refresh_token_enc text,
        access_expires_at timestamptz,
        refreshed_at timestamptz,
        webhook_url_enc text,
        bitrix24_user_id integer,
        state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'reauth_required', 'uninstalled', 'disconnected')),
        state_reason text,
        state_changed_at timestamptz NOT NULL DEFAULT now(),
        installed_at timestamptz,
        bound_at timestamptz,
        events_bound_at timestamptz,
        events_error text,
        include_extranet boolean NOT NULL DEFAULT false,
        default_country text NOT NULL DEFAULT 'RU' CHECK (default_country ~ '^[A-Z]{2}$'),
        schedule_kind text NOT NULL DEFAULT 'interval' CHECK (schedule_kind IN ('interval', 'daily')),
        schedule_interval_minutes integer CHECK (schedule_interval_minutes BETWEEN 1 AND 1440),
        schedule_daily_times text[],
        removal_guard_percent numeric(5,2) CHECK (removal_guard_percent BETWEEN 0 AND 100),
        rate_limit_per_second numeric(6,2) NOT NULL DEFAULT 2,
        rate_limit_burst integer NOT NULL DEFAULT 50,
        next_sync_at timestamptz,
        lease_owner text,
        lease_expires_at timestamptz,
        consecutive_failures integer NOT NULL DEFAULT 0,
        last_error_code text,
        last_error_message text,
        last_error_at timestamptz,
        last_success_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX bitrix24_connection_account_idx ON bitrix24_connection (account_id, created_at)`);
    // What the scheduler tick scans: connections that can be polled, by due time.
    await q.query(`CREATE INDEX bitrix24_connection_due_idx ON bitrix24_connection (next_sync_at)
                   WHERE account_id IS NOT NULL AND state = 'active'`);
    await q.query(`
      CREATE TABLE bitrix24_oauth_state (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES account(id),
        state_hash text NOT NULL UNIQUE,
        portal_domain text NOT NULL,
        portal_base_url text NOT NULL,
        created_by_key_id uuid REFERENCES api_key(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE bitrix24_oauth_state`);
    await q.query(`DROP TABLE bitrix24_connection`);
  }
}
