/**
 * What a service database holds, in terms two databases share (issue 12's oracle: a run that
 * skips by fingerprint must end where a run planned from scratch ends): employees, phones,
 * links and their states, exclusions, the responsible list, departments with heads,
 * supervisors and managers, standing problems. An employee is named by the Bitrix24 users
 * linked to it (users of another portal than `firstConnectionId` with a prefix), else (a
 * manual employee) by its name; every reference to an employee by that key.
 */
export async function directorySnapshot(query: (sql: string) => Promise<unknown[]>, firstConnectionId: string): Promise<Record<string, unknown>> {
  if (!/^[0-9a-f-]{36}$/i.test(firstConnectionId)) throw new Error('a connection id');
  const user = (l: string) => `(CASE WHEN ${l}.connection_id = '${firstConnectionId}' THEN '' ELSE 'second:' END || ${l}.bitrix24_user_id)`;
  const key = (alias: string) =>
    `(SELECT coalesce((SELECT 'user ' || string_agg(${user('l')}, ',' ORDER BY ${user('l')}) FROM bitrix24_user_link l WHERE l.employee_id = ${alias}.id),
                      'manual ' || ${alias}.first_name || ' ' || ${alias}.last_name))`;
  const ofEmployee = (column: string) => `(SELECT ${key('x')} FROM employee x WHERE x.id = ${column})`;
  return {
    employees: await query(
      `SELECT ${key('e')} AS key, e.first_name, e.last_name, e.middle_name, e.email, e.extension, e.source, e.active, ${ofEmployee('e.manager_id')} AS manager,
              coalesce((SELECT array_agg(p.digits || ':' || p.source ORDER BY p.position) FROM employee_phone p WHERE p.employee_id = e.id), '{}') AS phones,
              coalesce((SELECT array_agg(d.bitrix24_id ORDER BY x.position) FROM employee_department x JOIN department d ON d.id = x.department_id WHERE x.employee_id = e.id), '{}') AS departments,
              EXISTS (SELECT 1 FROM responsible_employee r WHERE r.employee_id = e.id) AS responsible
         FROM employee e ORDER BY 1`,
    ),
    links: await query(`SELECT ${user('l')} AS user, state, matched_by, department_ids, user_type FROM bitrix24_user_link l ORDER BY 1`),
    exclusions: await query(`SELECT bitrix24_user_id FROM bitrix24_user_exclusion ORDER BY 1`),
    departments: await query(
      `SELECT d.connection_id = '${firstConnectionId}' AS first_portal, d.kind, d.bitrix24_id, d.name, d.bitrix24_parent_id, d.head_bitrix24_user_id, d.present, d.in_scope, d.head_problem,
              ${ofEmployee('d.head_employee_id')} AS head, ${ofEmployee('d.supervisor_employee_id')} AS supervisor, ${ofEmployee('d.members_manager_id')} AS members_manager
         FROM department d WHERE d.kind = 'bitrix24' ORDER BY 1, d.bitrix24_id`,
    ),
    problems: await query(`SELECT ${user('p')} AS user, kind, reason, name, details FROM sync_problem p ORDER BY 1, 2`),
  };
}
