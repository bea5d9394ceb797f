import { Client } from 'pg';

export type TestDbMode = { kind: 'server'; adminUrl: string } | { kind: 'embedded' };

export const LOCAL_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** TEST_DATABASE=embedded forces the embedded engine; else TEST_DATABASE_URL when set, else the local server when it answers, else the embedded engine. */
export async function detectTestDbMode(): Promise<TestDbMode> {
  // TEST_DATABASE=embedded forces the embedded engine (to check PGlite compatibility).
  if (process.env.TEST_DATABASE === 'embedded') return { kind: 'embedded' };
  if (process.env.TEST_DATABASE_URL) return { kind: 'server', adminUrl: process.env.TEST_DATABASE_URL };
  if (await answers(LOCAL_SERVER_URL)) return { kind: 'server', adminUrl: LOCAL_SERVER_URL };
  return { kind: 'embedded' };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
