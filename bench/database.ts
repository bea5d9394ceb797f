/**
 * The bench's own PostgreSQL database: BENCH_DATABASE_URL, or DATABASE_URL's server with
 * the database `b24_bench`, or postgres://postgres@127.0.0.1:5432/b24_bench. It is dropped
 * and created again for every fresh start (the service migrates it at start-up).
 * Also the exact "employee rows written" measure: a snapshot of (id, xmin) before a
 * scenario compared with the rows after it (a new id was inserted, a changed xmin was
 * updated — every UPDATE writes a new row version with the writing transaction's xmin).
 */
import { Client } from 'pg';

export function benchDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BENCH_DATABASE_URL) return env.BENCH_DATABASE_URL;
  const url = new URL(env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = '/b24_bench';
  return url.toString();
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

/** The URL with any password hidden (for the report). */
export function shownUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

export async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** DROP … WITH (FORCE) and CREATE, through the server's `postgres` database. */
export async function recreateDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`refusing to recreate database "${name}": use a plain name`);
  await withClient(withDatabase(url, 'postgres'), async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  });
}

export async function serverVersion(url: string): Promise<string> {
  return withClient(withDatabase(url, 'postgres'), async (c) => (await c.query<{ v: string }>('SELECT version() AS v')).rows[0].v);
}

export interface RowSnapshot {
  employees: Map<string, string>;
  links: Map<number, string>;
  phones: number;
  /** Report rows of every run, and the database's size on disk (pg_database_size). */
  itemRows: number;
  databaseBytes: number;
}

/** (id, xmin) of the account's employees and (user id, xmin) of the connection's links. */
export async function snapshotRows(db: Client, accountId: string, connectionId: string | null): Promise<RowSnapshot> {
  const employees = new Map<string, string>();
  const e = await db.query<[string, string]>({ text: `SELECT id, xmin::text FROM employee WHERE account_id = $1`, values: [accountId], rowMode: 'array' });
  for (const row of e.rows) employees.set(row[0], row[1]);
  const links = new Map<number, string>();
  if (connectionId) {
    const l = await db.query<[number, string]>({ text: `SELECT bitrix24_user_id, xmin::text FROM bitrix24_user_link WHERE connection_id = $1`, values: [connectionId], rowMode: 'array' });
    for (const row of l.rows) links.set(Number(row[0]), row[1]);
  }
  const p = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM employee_phone p JOIN employee e ON e.id = p.employee_id WHERE e.account_id = $1`, [accountId]);
  const size = await db.query<{ items: number; bytes: string }>(`SELECT (SELECT count(*)::int FROM sync_run_item) AS items, pg_database_size(current_database())::text AS bytes`);
  return { employees, links, phones: p.rows[0].n, itemRows: size.rows[0].items, databaseBytes: Number(size.rows[0].bytes) };
}

export interface RowsWritten {
  employeeRowsWritten: number;
  employeeRowsInserted: number;
  employeeRowsUpdated: number;
  linkRowsWritten: number;
  phoneRowsInserted: number;
  /** sync_run_item rows the scenario added (issue 12: 0 for an unchanged re-sync). */
  itemRowsWritten: number;
  /** pg_database_size after minus before (pages of 8 kB; issue 12: < 10 kB per unchanged run). */
  databaseGrowthBytes: number;
}

export function rowsWritten(before: RowSnapshot, after: RowSnapshot): RowsWritten {
  let inserted = 0;
  let updated = 0;
  for (const [id, x] of after.employees) {
    const old = before.employees.get(id);
    if (old === undefined) inserted++;
    else if (old !== x) updated++;
  }
  let links = 0;
  for (const [id, x] of after.links) if (before.links.get(id) !== x) links++;
  return {
    employeeRowsWritten: inserted + updated,
    employeeRowsInserted: inserted,
    employeeRowsUpdated: updated,
    linkRowsWritten: links,
    phoneRowsInserted: after.phones - before.phones,
    itemRowsWritten: after.itemRows - before.itemRows,
    databaseGrowthBytes: after.databaseBytes - before.databaseBytes,
  };
}
