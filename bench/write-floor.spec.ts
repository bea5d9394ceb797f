import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../test/support/test-database';
import { markXid, measureWriteFloor } from './write-floor';
import { WRITE_FLOOR_MIN_ROWS } from './floors';

/** The write floor on the real schema (a migrated database of this file's own). */
describe('bench write floor', () => {
  let database: TestDatabase;
  let db: Client;
  let accountId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new Client({ connectionString: database.url! });
    await db.connect();
    accountId = (await db.query<{ id: string }>(`INSERT INTO account (name) VALUES ('Floors') RETURNING id`)).rows[0].id;
  });

  afterAll(async () => {
    await db.end();
    await database.drop();
  });

  const insertEmployees = (n: number, prefix: string) =>
    db.query(
      `INSERT INTO employee (account_id, last_name, email, source)
       SELECT $1, 'Person ' || i, $2 || i || '@example.com', 'manual' FROM generate_series(1, $3::int) AS i`,
      [accountId, prefix, n],
    );

  const userTables = async () =>
    (await db.query<{ name: string }>(`SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1`)).rows.map((r) => r.name);

  it('counts only the rows written inside the window, per table, and times writing them again', async () => {
    await insertEmployees(500, 'before'); // before the window: not the scenario's
    const tablesBefore = await userTables();
    const fromXid = await markXid(db);
    await insertEmployees(300, 'inside');
    // An update inside the window leaves a new row version: it counts once, with the inserts.
    await db.query(`UPDATE employee SET first_name = 'Changed' WHERE email LIKE 'before1%'`);
    const updated = Number((await db.query(`SELECT count(*) FROM employee WHERE first_name = 'Changed'`)).rows[0].count);
    const toXid = await markXid(db);
    await insertEmployees(200, 'after'); // after the window: not the scenario's either

    const floor = await measureWriteFloor(db, { fromXid, toXid });

    expect(updated).toBeGreaterThan(0);
    expect(floor.rows).toBe(300 + updated);
    expect(floor.tables).toEqual([{ table: 'employee', rows: 300 + updated, ms: expect.any(Number) }]);
    expect(floor.wallMs).not.toBeNull();
    expect(floor.wallMs!).toBeGreaterThanOrEqual(0);
    // Nothing of the floor is left: no scratch schema, no temporary table, the real rows untouched.
    expect(await userTables()).toEqual(tablesBefore);
    expect(Number((await db.query(`SELECT count(*) FROM employee`)).rows[0].count)).toBe(1000);
  });

  it('does not time a scenario that wrote (almost) nothing', async () => {
    const fromXid = await markXid(db);
    await insertEmployees(WRITE_FLOOR_MIN_ROWS - 1, 'few');
    const toXid = await markXid(db);

    const floor = await measureWriteFloor(db, { fromXid, toXid });

    expect(floor).toEqual({ rows: WRITE_FLOOR_MIN_ROWS - 1, wallMs: null, tables: [{ table: 'employee', rows: WRITE_FLOOR_MIN_ROWS - 1, ms: null }] });
  });
});
