import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap';
import { ConfigValidationError } from './config/environment';
import { loadConfig } from './config/load-config';
import { JsonLogger } from './common/logging/json-logger';
import { probeDatabase } from './database/database-preflight';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\nSee .env.example for every variable and its default.\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = new JsonLogger(config.logLevel);
  Logger.overrideLogger(logger);

  if (config.db.url) {
    const problem = await probeDatabase(config.db.url);
    if (problem) {
      logger.fatal(problem, 'Bootstrap');
      process.stderr.write(`${problem}\n`);
      process.exit(1);
    }
  }

  const app = await createApp(config, logger);
  await app.listen(config.port, config.host);
  logger.log({ msg: 'service listening', url: await app.getUrl(), publicUrl: config.publicUrl, env: config.env }, 'Bootstrap');
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Start-up failed: ${message.split('\n')[0]}\n`);
  process.exit(1);
});
