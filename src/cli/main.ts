import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { AccountsService } from '../access/accounts.service';
import { ConfigValidationError } from '../config/environment';
import { loadConfig } from '../config/load-config';
import { JsonLogger } from '../common/logging/json-logger';
import { probeDatabase } from '../database/database-preflight';
import { CliModule } from './cli.module';

const USAGE = `Usage:
  npm run cli -- account:create --name "Acme"   create an account; prints its first owner API key as the last line`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'account:create') {
    process.stderr.write(`${command ? `Unknown command: ${command}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const { values } = parseArgs({ args: rest, options: { name: { type: 'string' } }, strict: true });
  const name = values.name?.trim();
  if (!name || name.length > 200) {
    process.stderr.write(`--name is required (1 to 200 characters)\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  if (config.db.url) {
    const problem = await probeDatabase(config.db.url);
    if (problem) {
      process.stderr.write(`${problem}\n`);
      return 1;
    }
  }
  // Logs go to stderr so stdout stays clean for scripts: its last line is the key.
  const logger = new JsonLogger('warn', (line) => process.stderr.write(line + '\n'));
  const app = await NestFactory.createApplicationContext(CliModule.register(config), { logger, abortOnError: false });
  try {
    const { account, ownerKey } = await app.get(AccountsService).createAccount(name);
    process.stdout.write(`Account created: ${account.name} (${account.id})\n`);
    process.stdout.write(`Owner API key (shown once; store it now):\n${ownerKey.key}\n`);
    return 0;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigValidationError ? error.message : error instanceof Error ? error.message : String(error);
    process.stderr.write(`${message}\n`);
    process.exit(1);
  },
);
