import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Work in proportion to change (issue 12): a link remembers the fingerprint of what the last
 * run planned from (the user's Bitrix24 record, the connection's settings, the link itself;
 * src/sync/user-fingerprint.ts). A run skips a user whose fingerprint is unchanged without
 * loading the employee.
 *
 * What the plan also reads is the employee (names, e-mail, extension, whether it has any
 * phone). Whoever edits those on our side — the owner through the API, another portal's
 * run, a future tool — must make the next run plan the user again, so the database does it:
 * an edit of those columns, or a phone deleted or moved, clears the fingerprint of the
 * employee's links. A phone added needs nothing: a settled employee without phones had no
 * number to import, and with a number the plan never looks at the portal's numbers.
 *
 * Likewise a connection remembers the digest of what its memberships, heads and managers
 * were last derived from (DepartmentStore.peopleInputs), so a run that changed none of it
 * derives — and writes — nothing.
 */
export class AddChangeFingerprints1795308600000 implements MigrationInterface {
  name = 'AddChangeFingerprints1795308600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE bitrix24_user_link ADD COLUMN fingerprint text`);
    await q.query(`ALTER TABLE bitrix24_connection ADD COLUMN people_derived_from text`);
    // = ANY(ARRAY(…)) keeps this an index probe per employee whatever the (absent) statistics say.
    await q.query(`
      CREATE FUNCTION unsettle_links_of_edited_employees() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE bitrix24_user_link SET fingerprint = NULL
         WHERE fingerprint IS NOT NULL
           AND employee_id = ANY (ARRAY(
                 SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
                  WHERE (n.first_name, n.last_name, n.middle_name, n.email, n.extension)
                        IS DISTINCT FROM (o.first_name, o.last_name, o.middle_name, o.email, o.extension)));
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER employee_edit_unsettles_links AFTER UPDATE ON employee
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION unsettle_links_of_edited_employees()`);
    await q.query(`
      CREATE FUNCTION unsettle_links_of_phone_owners() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE bitrix24_user_link SET fingerprint = NULL
         WHERE fingerprint IS NOT NULL AND employee_id = ANY (ARRAY(SELECT DISTINCT employee_id FROM old_rows));
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER phone_delete_unsettles_links AFTER DELETE ON employee_phone
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION unsettle_links_of_phone_owners()`);
    await q.query(`
      CREATE TRIGGER phone_update_unsettles_links AFTER UPDATE ON employee_phone
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION unsettle_links_of_phone_owners()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER phone_update_unsettles_links ON employee_phone`);
    await q.query(`DROP TRIGGER phone_delete_unsettles_links ON employee_phone`);
    await q.query(`DROP FUNCTION unsettle_links_of_phone_owners()`);
    await q.query(`DROP TRIGGER employee_edit_unsettles_links ON employee`);
    await q.query(`DROP FUNCTION unsettle_links_of_edited_employees()`);
    await q.query(`ALTER TABLE bitrix24_connection DROP COLUMN people_derived_from`);
    await q.query(`ALTER TABLE bitrix24_user_link DROP COLUMN fingerprint`);
  }
}
