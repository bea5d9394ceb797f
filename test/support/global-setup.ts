import 'reflect-metadata';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { ensureWebBundle } from '../../scripts/build-web';
import { adminQuery, detectTestDbMode, withDatabase } from './test-db-mode';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decides once which PostgreSQL the tests use and prints it. On a server it builds a
 * migrated template database; each test file then clones it (CREATE DATABASE …
 * TEMPLATE), which is fast and keeps files isolated so they can run in parallel.
 */
export default async function globalSetup(): Promise<void> {
  // The settings page is built, not committed: a fresh clone (or a changed source) gets it here.
  const bundle = await ensureWebBundle();
  if (bundle.rebuilt) console.log(`\n[tests] settings page built into dist/web (${bundle.hash})`);
  const mode = await detectTestDbMode();
  if (mode.kind === 'embedded') {
    process.env.B24_TEST_DB_MODE = 'embedded';
    console.log('\n[tests] database: embedded PGlite (no PostgreSQL server answered; set TEST_DATABASE_URL to use one)');
    return;
  }
  const admin = new Client({ connectionString: mode.adminUrl });
  await admin.connect();
  // Drop databases left by test runs whose process is gone (killed mid-run).
  const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'b24t\\_%'`);
  for (const { datname } of rows) {
    const pid = Number(/^b24t_(?:tpl_)?(\d+)/.exec(datname)?.[1]);
    if (pid && !pidAlive(pid)) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined);
  }
  await admin.end();

  const template = `b24t_tpl_${process.pid}`;
  await adminQuery(mode.adminUrl, `CREATE DATABASE "${template}"`);
  const dataSource = new DataSource(
    buildDataSourceOptions({ db: { url: withDatabase(mode.adminUrl, template), poolSize: 2, migrateOnStart: true, dataDir: '' } }),
  );
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();

  process.env.B24_TEST_DB_MODE = 'server';
  process.env.B24_TEST_ADMIN_URL = mode.adminUrl;
  process.env.B24_TEST_TEMPLATE_DB = template;
  const shown = new URL(mode.adminUrl);
  shown.password = shown.password ? '***' : '';
  console.log(`\n[tests] database: PostgreSQL server at ${shown.host} (one database per test file, cloned from ${template})`);
}
