/** Anything with TypeORM's `query(sql, params)`: a DataSource, an EntityManager, a QueryRunner. */
export interface QueryExecutor {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Runs a statement and returns its rows. TypeORM answers UPDATE and DELETE with
 * `[rows, affectedCount]` instead of the rows, which silently breaks
 * `UPDATE … RETURNING` checks; every statement whose RETURNING rows matter goes
 * through here.
 */
export async function queryRows<T = Record<string, unknown>>(executor: QueryExecutor, sql: string, params: unknown[] = []): Promise<T[]> {
  const result = await executor.query(sql, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}
