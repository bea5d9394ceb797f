import { resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { ALL_MIGRATIONS } from '../../migrations';
import { createPGliteDriver } from './serialized-pglite-pool';

export function isEmbedded(config: Pick<AppConfig, 'db'>): boolean {
  return !config.db.url;
}

export function embeddedDataDir(config: Pick<AppConfig, 'db'>): string {
  return resolve(config.db.dataDir, 'pglite');
}

/**
 * One place that decides how the service talks to PostgreSQL: a real server when
 * DATABASE_URL is set, otherwise the embedded PGlite engine under DATA_DIR. Both run
 * the same migrations; `synchronize` is never on.
 */
export function buildDataSourceOptions(
  config: Pick<AppConfig, 'db'>,
  entities: DataSourceOptions['entities'] = [],
): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities,
    migrations: ALL_MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
  };
  if (config.db.url) {
    return {
      ...common,
      url: config.db.url,
      poolSize: config.db.poolSize,
      connectTimeoutMS: 5000,
      applicationName: 'b24-employee-sync',
    };
  }
  const dataDir = config.db.dataDir === 'memory://' ? 'memory://' : embeddedDataDir(config);
  return { ...common, driver: createPGliteDriver(dataDir), poolSize: 1 } as DataSourceOptions;
}
