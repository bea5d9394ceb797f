import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';

/** Arbitrary but fixed: every replica takes this advisory lock before migrating. */
const MIGRATION_LOCK_KEY = 4_224_242_424;

/**
 * Runs pending migrations, each in its own transaction. On a shared server the
 * replicas serialize on a PostgreSQL advisory lock so two of them never race on the
 * schema; the embedded engine is one process by construction.
 */
export async function runMigrations(dataSource: DataSource, embedded: boolean): Promise<string[]> {
  const logger = new Logger('Migrations');
  if (embedded) return apply(dataSource, logger);
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await apply(dataSource, logger);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

async function apply(dataSource: DataSource, logger: Logger): Promise<string[]> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  const names = applied.map((m) => m.name);
  if (names.length) logger.log({ msg: 'migrations applied', migrations: names });
  return names;
}
