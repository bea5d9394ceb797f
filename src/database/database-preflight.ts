import { Client } from 'pg';

/**
 * Tries one connection to DATABASE_URL before the application starts, so an
 * unreachable server ends start-up with one readable line instead of TypeORM's
 * retry loop of stack traces. Returns null when reachable, else the reason.
 */
export async function probeDatabase(url: string, timeoutMs = 5000): Promise<string | null> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return describeConnectionError(error, url);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function describeConnectionError(error: unknown, url: string): string {
  let where = 'the database server';
  try {
    const parsed = new URL(url);
    where = `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    /* keep the generic wording */
  }
  const err = error as { code?: string; message?: string };
  const reason =
    err.code === 'ECONNREFUSED'
      ? 'connection refused (is PostgreSQL running and listening there?)'
      : err.code === 'ENOTFOUND'
        ? 'host not found'
        : err.code === '3D000'
          ? 'database does not exist'
          : err.code === '28P01' || err.code === '28000'
            ? 'authentication failed'
            : /timeout/i.test(err.message ?? '')
              ? 'connection timed out'
              : (err.message ?? String(error)).split('\n')[0];
  return `Cannot connect to PostgreSQL at ${where}: ${reason}. Check DATABASE_URL, or unset it to use the embedded database.`;
}
