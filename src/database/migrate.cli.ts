import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findInRepo } from '../common/repo-path';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JsonLogger } from '../common/logging/json-logger';
import { loadConfig } from '../config/load-config';
import { ConfigValidationError } from '../config/environment';
import { probeDatabase } from './database-preflight';
import { buildDataSourceOptions, isEmbedded } from './data-source-options';
import { lockDataDir } from './data-dir-lock';
import { runMigrations } from './migration-runner';
import { ENTITIES } from './entities';

const USAGE = `Usage:
  npm run migration:run                      apply pending migrations
  npm run migration:revert                   undo the last migration
  npm run migration:generate -- <PascalName> write migrations/<timestamp>-<PascalName>.ts from the entity/schema difference
  npm run migration:create -- <PascalName>   write an empty migration to fill in by hand`;

function escapeTemplate(sql: string): string {
  return sql.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}

/** Writes the migration file and registers it in migrations/index.ts. */
function writeMigration(name: string, up: string[], down: string[]): string {
  if (!/^[A-Z][A-Za-z0-9]{2,80}$/.test(name)) throw new Error('The migration name must be PascalCase, e.g. AddEmployeeTitle');
  const timestamp = Date.now();
  const className = `${name}${timestamp}`;
  const dir = findInRepo('migrations/index.ts', __dirname).replace(/\/index\.ts$/, '');
  const file = join(dir, `${timestamp}-${name}.ts`);
  const body = (queries: string[]) => (queries.length ? queries.map((q) => `    await q.query(\`${escapeTemplate(q)}\`);`).join('\n') : '    // TODO: write the SQL');
  writeFileSync(
    file,
    `import { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(q: QueryRunner): Promise<void> {
${body(up)}
  }

  async down(q: QueryRunner): Promise<void> {
${body(down)}
  }
}
`,
  );
  const indexFile = join(dir, 'index.ts');
  let index = readFileSync(indexFile, 'utf8');
  index = index.replace(/(\nexport const ALL_MIGRATIONS = \[)/, `import { ${className} } from './${timestamp}-${name}';\n$1`);
  index = index.replace(/(\n\];\s*)$/, `\n  ${className},$1`);
  writeFileSync(indexFile, index);
  return file;
}

/**
 * The schema is written in SQL first and the entities describe only what the code reads
 * (no checks, partial indexes, triggers or generated columns), so TypeORM's raw diff
 * would drop all of those. Generation therefore keeps the additive statements — new
 * tables, new columns, new indexes — and derives their inverse for `down`. Drops and
 * type changes are written by hand, on purpose: nothing already stored is lost by a
 * generated migration.
 */
export function additiveChanges(queries: string[]): { up: string[]; down: string[]; skipped: number } {
  const up: string[] = [];
  const down: string[] = [];
  for (const query of queries) {
    const table = /^CREATE TABLE "([^"]+)"/.exec(query);
    const column = /^ALTER TABLE "([^"]+)" ADD "([^"]+)"/.exec(query);
    const index = /^CREATE (?:UNIQUE )?INDEX "([^"]+)"/.exec(query);
    if (table) down.unshift(`DROP TABLE "${table[1]}"`);
    else if (column) down.unshift(`ALTER TABLE "${column[1]}" DROP COLUMN "${column[2]}"`);
    else if (index) down.unshift(`DROP INDEX "${index[1]}"`);
    else continue;
    up.push(query);
  }
  return { up, down, skipped: queries.length - up.length };
}

async function main(argv: string[]): Promise<number> {
  const [command, name] = argv;
  if (!['run', 'revert', 'generate', 'create'].includes(command ?? '')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (command === 'create') {
    process.stdout.write(`Created ${writeMigration(name ?? '', [], [])}\n`);
    return 0;
  }
  const config = loadConfig();
  Logger.overrideLogger(new JsonLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, (line) => process.stderr.write(line + '\n')));
  if (config.db.url) {
    const problem = await probeDatabase(config.db.url);
    if (problem) {
      process.stderr.write(`${problem}\n`);
      return 1;
    }
  } else {
    lockDataDir(config.db.dataDir);
  }
  const dataSource = await new DataSource(buildDataSourceOptions(config, ENTITIES)).initialize();
  try {
    if (command === 'run') {
      const applied = await runMigrations(dataSource, isEmbedded(config));
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'No pending migrations.\n');
    } else if (command === 'revert') {
      await dataSource.undoLastMigration({ transaction: 'each' });
      process.stdout.write('Reverted the last migration.\n');
    } else {
      if (!name) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
      }
      await runMigrations(dataSource, isEmbedded(config));
      const sql = await dataSource.driver.createSchemaBuilder().log();
      if (!sql.upQueries.length) {
        process.stdout.write('No changes between the entities and the database schema; nothing generated.\n');
        return 0;
      }
      const { up, down, skipped } = additiveChanges(sql.upQueries.map((q) => q.query));
      if (!up.length) {
        process.stdout.write(`No additive changes between the entities and the schema; nothing generated (${skipped} non-additive differences ignored).\n`);
        return 0;
      }
      const file = writeMigration(name, up, down);
      process.stdout.write(`Generated ${file} (review it before committing)\n`);
    }
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigValidationError ? error.message : (error as Error).message}\n`);
    process.exit(1);
  },
);
