import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The telephony platform's employee directory, what links it to Bitrix24 users, the
 * imported departments and the account's responsible-employee list.
 * Employees are never deleted (seeds/002 "Deleting Employees"): a trigger refuses
 * DELETE and TRUNCATE, whatever code or person tries.
 */
export class CreateEmployees1795305800000 implements MigrationInterface {
  name = 'CreateEmployees1795305800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE employee (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES account(id),
        first_name text NOT NULL DEFAULT '',
        last_name text NOT NULL,
        middle_name text,
        email text,
        email_normalized text GENERATED ALWAYS AS (nullif(lower(btrim(email)), '')) STORED,
        extension text,
        source text NOT NULL CHECK (source IN ('bitrix24', 'manual')),
        active boolean NOT NULL DEFAULT true,
        deactivated_at timestamptz,
        sort_key text GENERATED ALWAYS AS (
          lower(regexp_replace(last_name, '^\\s*(\\(bitrix24\\)\\s*)+', '', 'i')) || ' ' || lower(first_name)
        ) STORED,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX employee_account_sort_idx ON employee (account_id, sort_key, id)`);
    await q.query(`CREATE INDEX employee_account_email_idx ON employee (account_id, email_normalized)`);
    await q.query(`
      CREATE FUNCTION refuse_employee_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'employees are never deleted; deactivate the employee instead'
          USING ERRCODE = 'restrict_violation';
      END $$`);
    await q.query(`CREATE TRIGGER employee_never_deleted BEFORE DELETE ON employee FOR EACH ROW EXECUTE FUNCTION refuse_employee_delete()`);
    await q.query(`CREATE TRIGGER employee_never_truncated BEFORE TRUNCATE ON employee FOR EACH STATEMENT EXECUTE FUNCTION refuse_employee_delete()`);

    await q.query(`
      CREATE TABLE employee_phone (
        employee_id uuid NOT NULL REFERENCES employee(id) ON DELETE RESTRICT,
        position smallint NOT NULL,
        digits text NOT NULL CHECK (digits ~ '^[0-9]{3,20}$'),
        source text NOT NULL CHECK (source IN ('work', 'mobile', 'personal', 'manual')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (employee_id, position),
        UNIQUE (employee_id, digits)
      )`);
    await q.query(`CREATE INDEX employee_phone_digits_idx ON employee_phone (digits text_pattern_ops)`);

    await q.query(`
      CREATE TABLE bitrix24_user_link (
        connection_id uuid NOT NULL REFERENCES bitrix24_connection(id),
        bitrix24_user_id integer NOT NULL CHECK (bitrix24_user_id > 0),
        account_id uuid NOT NULL REFERENCES account(id),
        employee_id uuid NOT NULL REFERENCES employee(id) ON DELETE RESTRICT,
        state text NOT NULL CHECK (state IN ('active', 'dismissed', 'deleted')),
        state_since timestamptz NOT NULL DEFAULT now(),
        matched_by text NOT NULL CHECK (matched_by IN ('created', 'email')),
        user_type text,
        department_ids integer[] NOT NULL DEFAULT '{}',
        linked_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (connection_id, bitrix24_user_id),
        -- one employee stands for at most one user of a portal
        UNIQUE (connection_id, employee_id)
      )`);
    await q.query(`CREATE INDEX bitrix24_user_link_employee_idx ON bitrix24_user_link (employee_id)`);
    await q.query(`CREATE INDEX bitrix24_user_link_state_idx ON bitrix24_user_link (connection_id, state)`);

    await q.query(`
      CREATE TABLE bitrix24_department (
        connection_id uuid NOT NULL REFERENCES bitrix24_connection(id),
        bitrix24_id integer NOT NULL,
        account_id uuid NOT NULL REFERENCES account(id),
        name text NOT NULL,
        parent_id integer,
        head_bitrix24_user_id integer,
        sort integer,
        present boolean NOT NULL DEFAULT true,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (connection_id, bitrix24_id)
      )`);

    await q.query(`
      CREATE TABLE responsible_employee (
        account_id uuid NOT NULL REFERENCES account(id),
        employee_id uuid NOT NULL REFERENCES employee(id) ON DELETE RESTRICT,
        added_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, employee_id)
      )`);
    await q.query(`CREATE INDEX responsible_employee_employee_idx ON responsible_employee (employee_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE responsible_employee`);
    await q.query(`DROP TABLE bitrix24_department`);
    await q.query(`DROP TABLE bitrix24_user_link`);
    await q.query(`DROP TABLE employee_phone`);
    await q.query(`DROP TRIGGER employee_never_truncated ON employee`);
    await q.query(`DROP TRIGGER employee_never_deleted ON employee`);
    await q.query(`DROP TABLE employee`);
    await q.query(`DROP FUNCTION refuse_employee_delete()`);
  }
}
