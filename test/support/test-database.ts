import { randomBytes } from 'node:crypto';
import { adminQuery, withDatabase } from './test-db-mode';

export interface TestDatabase {
  /** DATABASE_URL for the service, or undefined for the embedded engine. */
  url?: string;
  /** DATA_DIR for the service ('memory://' for an embedded engine that keeps nothing). */
  dataDir: string;
  drop(): Promise<void>;
}

/** A database of this test file's own: a clone of the migrated template, dropped afterwards. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (process.env.B24_TEST_DB_MODE !== 'server') {
    return { dataDir: 'memory://', drop: async () => undefined };
  }
  const adminUrl = process.env.B24_TEST_ADMIN_URL!;
  const name = `b24t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${process.env.B24_TEST_TEMPLATE_DB}"`);
  return {
    url: withDatabase(adminUrl, name),
    dataDir: 'memory://',
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}
