/**
 * `npm run lint:openapi` step 1: writes the OpenAPI document the service serves at
 * /docs-json to a file (default dist/openapi.json), building the Nest application
 * exactly as production does (createApp) on a throw-away in-memory database, without
 * listening. Step 2 is `redocly lint` over that file (redocly.yaml).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createApp } from '../src/bootstrap';
import { buildOpenApiDocument } from '../src/common/openapi';
import { loadConfig } from '../src/config/load-config';

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? 'dist/openapi.json');
  // No DATABASE_URL and no .env: the document must not depend on (or touch) a real
  // database or data folder; a throw-away key keeps the key file from being written.
  const config = loadConfig({
    NODE_ENV: 'development',
    DATA_DIR: 'memory://',
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'error',
    SYNC_SCHEDULER_ENABLED: 'false',
  });
  const app = await createApp(config, false);
  try {
    const document = buildOpenApiDocument(app);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
    process.stdout.write(`OpenAPI document: ${out} (${Object.keys(document.paths).length} paths)\n`);
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`openapi-dump failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
