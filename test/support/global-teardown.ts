import { adminQuery } from './test-db-mode';

export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.B24_TEST_ADMIN_URL;
  const template = process.env.B24_TEST_TEMPLATE_DB;
  if (adminUrl && template) await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
}
