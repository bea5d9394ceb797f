import 'reflect-metadata';
import { INestApplication, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap';
import { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/load-config';
import { JsonLogger } from '../../src/common/logging/json-logger';
import { createTestDatabase, TestDatabase } from './test-database';
import { freePort } from './free-port';

export { freePort };

/** A fixed key so tests can reason about ciphertexts; never used outside tests. */
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

export interface TestApp {
  app: INestApplication;
  /** http://127.0.0.1:<port> of the listening service. */
  url: string;
  config: AppConfig;
  dataSource: DataSource;
  /** Every log line the service wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  /** Listen here (e.g. a port already given to a simulator as the redirect URI); default a free port. */
  port?: number;
  /** Reuse a database (a second replica); otherwise the file gets a new one. */
  database?: TestDatabase;
}

/** The environment a test service runs with (in-process, or a child process: service-child.ts). */
export function testEnvironment(database: Pick<TestDatabase, 'url' | 'dataDir'>, env: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    PORT: '0',
    LOG_LEVEL: 'info',
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '5',
    DATA_DIR: database.dataDir,
    TOKEN_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    BITRIX24_ALLOW_INSECURE: 'true',
    BITRIX24_CLIENT_ID: 'app.test.client',
    BITRIX24_CLIENT_SECRET: 'test-client-secret-value',
    SYNC_SCHEDULER_ENABLED: 'false',
    ...env,
  };
}

export function testConfig(database: Pick<TestDatabase, 'url' | 'dataDir'>, env: Record<string, string | undefined> = {}): AppConfig {
  return loadConfig(testEnvironment(database, env));
}

/** Boots the real application on its own database and a random port. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp & { database: TestDatabase }> {
  const database = options.database ?? (await createTestDatabase());
  const logs: Array<Record<string, unknown>> = [];
  const logger = new JsonLogger('debug', (line) => {
    logs.push(JSON.parse(line) as Record<string, unknown>);
    if (process.env.TEST_LOGS) process.stdout.write(line + '\n');
  });
  Logger.overrideLogger(logger);
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const config = testConfig(database, { PORT: String(port), PUBLIC_URL: url, ...options.env });
  const app = await createApp(config, logger);
  await app.listen(port, '127.0.0.1');
  const ownsDatabase = !options.database;
  return {
    app,
    url,
    config: { ...config, publicUrl: config.publicUrl },
    dataSource: app.get(DataSource),
    logs,
    database,
    close: async () => {
      await app.close();
      if (ownsDatabase) await database.drop();
    },
  };
}
