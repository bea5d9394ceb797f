import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The organization structure (issue 13):
 * - `department`: one tree per account — a root named after the account, a node per
 *   connected portal, the portal's Bitrix24 departments beneath it (replacing the flat
 *   bitrix24_department, whose rows move here; a read-only view keeps the old name). Rows are
 *   never deleted: a department a complete export no longer returns is `present = false`.
 *   Heads, supervisors and the manager of a department's members are employees.
 * - `employee_department`: who belongs where, in Bitrix24's UF_DEPARTMENT order (the first
 *   department decides the manager).
 * - `employee.manager_id`.
 * - Per connection: the department selection and "sync managers".
 * - Link state `out_of_scope` (outside the selection; removal like a dismissal, also held by
 *   the mass-removal guard).
 */
export class AddDepartmentTree1795308200000 implements MigrationInterface {
  name = 'AddDepartmentTree1795308200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE department (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES account(id),
        kind text NOT NULL CHECK (kind IN ('root', 'portal', 'bitrix24')),
        connection_id uuid REFERENCES bitrix24_connection(id),
        bitrix24_id integer CHECK (bitrix24_id > 0),
        bitrix24_parent_id integer,
        parent_id uuid REFERENCES department(id),
        name text NOT NULL,
        sort integer,
        head_bitrix24_user_id integer,
        head_employee_id uuid REFERENCES employee(id),
        supervisor_employee_id uuid REFERENCES employee(id),
        members_manager_id uuid REFERENCES employee(id),
        head_problem text CHECK (head_problem IN ('not_imported', 'out_of_scope', 'not_active')),
        present boolean NOT NULL DEFAULT true,
        in_scope boolean NOT NULL DEFAULT true,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        absent_since timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'root') = (connection_id IS NULL)),
        CHECK ((kind = 'root') = (parent_id IS NULL)),
        CHECK ((kind = 'bitrix24') = (bitrix24_id IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX department_root_idx ON department (account_id) WHERE kind = 'root'`);
    await q.query(`CREATE UNIQUE INDEX department_portal_idx ON department (connection_id) WHERE kind = 'portal'`);
    await q.query(`CREATE UNIQUE INDEX department_bitrix24_idx ON department (connection_id, bitrix24_id) WHERE kind = 'bitrix24'`);
    await q.query(`CREATE INDEX department_parent_idx ON department (parent_id)`);
    await q.query(`CREATE INDEX department_account_name_idx ON department (account_id, lower(name), id)`);

    await q.query(`
      CREATE TABLE employee_department (
        department_id uuid NOT NULL REFERENCES department(id),
        employee_id uuid NOT NULL REFERENCES employee(id) ON DELETE RESTRICT,
        connection_id uuid NOT NULL REFERENCES bitrix24_connection(id),
        position smallint NOT NULL CHECK (position > 0),
        PRIMARY KEY (department_id, employee_id)
      )`);
    await q.query(`CREATE INDEX employee_department_employee_idx ON employee_department (employee_id, connection_id, position)`);
    await q.query(`CREATE INDEX employee_department_connection_idx ON employee_department (connection_id)`);

    await q.query(`ALTER TABLE employee ADD COLUMN manager_id uuid REFERENCES employee(id)`);
    await q.query(`CREATE INDEX employee_manager_idx ON employee (account_id, manager_id) WHERE manager_id IS NOT NULL`);

    await q.query(`
      ALTER TABLE bitrix24_connection
        ADD COLUMN department_scope jsonb NOT NULL DEFAULT '{"mode": "all", "bitrix24DepartmentIds": [], "includeNewDepartments": true}',
        ADD COLUMN department_scope_saved_at timestamptz,
        ADD COLUMN sync_managers boolean NOT NULL DEFAULT true`);

    await q.query(`ALTER TABLE bitrix24_user_link DROP CONSTRAINT bitrix24_user_link_state_check`);
    await q.query(`ALTER TABLE bitrix24_user_link ADD CONSTRAINT bitrix24_user_link_state_check CHECK (state IN ('active', 'dismissed', 'deleted', 'out_of_scope'))`);
    await q.query(`ALTER TABLE sync_pending_removal DROP CONSTRAINT sync_pending_removal_kind_check`);
    await q.query(`ALTER TABLE sync_pending_removal ADD CONSTRAINT sync_pending_removal_kind_check CHECK (kind IN ('dismissed', 'deleted', 'out_of_scope'))`);

    // The departments stored so far move into the tree: roots, portal nodes, then the rows.
    await q.query(`
      INSERT INTO department (account_id, kind, name)
      SELECT a.id, 'root', a.name FROM account a WHERE EXISTS (SELECT 1 FROM bitrix24_department d WHERE d.account_id = a.id)`);
    await q.query(`
      INSERT INTO department (account_id, kind, connection_id, parent_id, name)
      SELECT c.account_id, 'portal', c.id, r.id, c.domain
        FROM bitrix24_connection c JOIN department r ON r.account_id = c.account_id AND r.kind = 'root'
       WHERE EXISTS (SELECT 1 FROM bitrix24_department d WHERE d.connection_id = c.id)`);
    await q.query(`
      INSERT INTO department (account_id, kind, connection_id, bitrix24_id, bitrix24_parent_id, parent_id, name, sort, head_bitrix24_user_id, present, absent_since, updated_at)
      SELECT d.account_id, 'bitrix24', d.connection_id, d.bitrix24_id, d.parent_id, p.id, d.name, d.sort, d.head_bitrix24_user_id, d.present,
             CASE WHEN d.present THEN NULL ELSE d.updated_at END, d.updated_at
        FROM bitrix24_department d JOIN department p ON p.connection_id = d.connection_id AND p.kind = 'portal'`);
    // Parents within the portal; the next full run re-derives them through the tree rule.
    await q.query(`
      UPDATE department c SET parent_id = p.id
        FROM department p
       WHERE c.kind = 'bitrix24' AND p.kind = 'bitrix24' AND p.connection_id = c.connection_id AND p.bitrix24_id = c.bitrix24_parent_id AND p.id <> c.id`);
    await q.query(`
      INSERT INTO employee_department (department_id, employee_id, connection_id, position)
      SELECT d.id, l.employee_id, l.connection_id, min(o.pos)
        FROM bitrix24_user_link l
        CROSS JOIN LATERAL unnest(l.department_ids) WITH ORDINALITY AS o(bid, pos)
        JOIN department d ON d.connection_id = l.connection_id AND d.kind = 'bitrix24' AND d.bitrix24_id = o.bid
       GROUP BY d.id, l.employee_id, l.connection_id`);
    await q.query(`DROP TABLE bitrix24_department`);
    // Read-only: queries written against the flat table keep working.
    await q.query(`
      CREATE VIEW bitrix24_department AS
      SELECT connection_id, bitrix24_id, account_id, name, bitrix24_parent_id AS parent_id, head_bitrix24_user_id, sort, present, updated_at
        FROM department WHERE kind = 'bitrix24'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW bitrix24_department`);
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
      INSERT INTO bitrix24_department (connection_id, bitrix24_id, account_id, name, parent_id, head_bitrix24_user_id, sort, present, updated_at)
      SELECT connection_id, bitrix24_id, account_id, name, bitrix24_parent_id, head_bitrix24_user_id, sort, present, updated_at FROM department WHERE kind = 'bitrix24'`);
    // The older schema has no out_of_scope: such links read as dismissed there (off the list, kept).
    await q.query(`UPDATE bitrix24_user_link SET state = 'dismissed' WHERE state = 'out_of_scope'`);
    await q.query(`DELETE FROM sync_pending_removal WHERE kind = 'out_of_scope'`);
    await q.query(`ALTER TABLE sync_pending_removal DROP CONSTRAINT sync_pending_removal_kind_check`);
    await q.query(`ALTER TABLE sync_pending_removal ADD CONSTRAINT sync_pending_removal_kind_check CHECK (kind IN ('dismissed', 'deleted'))`);
    await q.query(`ALTER TABLE bitrix24_user_link DROP CONSTRAINT bitrix24_user_link_state_check`);
    await q.query(`ALTER TABLE bitrix24_user_link ADD CONSTRAINT bitrix24_user_link_state_check CHECK (state IN ('active', 'dismissed', 'deleted'))`);
    await q.query(`ALTER TABLE bitrix24_connection DROP COLUMN department_scope, DROP COLUMN department_scope_saved_at, DROP COLUMN sync_managers`);
    await q.query(`ALTER TABLE employee DROP COLUMN manager_id`);
    await q.query(`DROP TABLE employee_department`);
    await q.query(`DROP TABLE department`);
  }
}
