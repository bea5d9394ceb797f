import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'dotenv';
import { AppConfig, toAppConfig } from './app-config';
import { validateEnvironment } from './environment';

/**
 * Reads `.env` (when present) under the real environment: a variable set in the
 * process environment always wins over the file.
 */
export function readEnvironment(
  processEnv: Record<string, string | undefined> = process.env,
  envFile = '.env',
): Record<string, string | undefined> {
  const fromFile = existsSync(envFile) ? parse(readFileSync(envFile)) : {};
  return { ...fromFile, ...processEnv };
}

export function loadConfig(raw: Record<string, string | undefined> = readEnvironment()): AppConfig {
  return toAppConfig(validateEnvironment(raw));
}
