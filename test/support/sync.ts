import request from 'supertest';
import { SyncWorker } from '../../src/sync/sync-worker.service';
import { bearer, TestAccount } from './accounts';
import type { TestApp } from './test-app';

export interface RunView {
  id: string;
  status: string;
  trigger: string;
  counters: Record<string, number> & { skippedByReason: Record<string, number> };
  progress: { processed: number; total: number | null };
  error: { code: string; message: string } | null;
  guard: Record<string, unknown> | null;
  exportComplete: boolean | null;
  stalledSince: string | null;
  dryRun: boolean;
}

/** Runs the poller's tick once in this process and waits for the jobs it started. */
export async function runPollerOnce(t: TestApp, includeDue = true): Promise<void> {
  const worker = t.app.get(SyncWorker);
  await worker.idle();
  await worker.runOnce(includeDue);
}

export async function getRun(t: TestApp, account: TestAccount, runId: string): Promise<RunView> {
  return (await request(t.url).get(`/api/v1/sync-runs/${runId}`).set(bearer(account.ownerKey)).expect(200)).body;
}

/** Polls a run until it leaves queued/running. */
export async function waitForRun(t: TestApp, account: TestAccount, runId: string, timeoutMs = 30_000): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await getRun(t, account, runId);
    if (!['queued', 'running'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Presses Synchronize and waits for the run to end. */
export async function synchronize(t: TestApp, account: TestAccount, connectionId: string): Promise<RunView> {
  const res = await request(t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(bearer(account.ownerKey)).expect(202);
  await t.app.get(SyncWorker).idle();
  await runPollerOnce(t, false);
  return waitForRun(t, account, res.body.id);
}

/** Every page of a cursor-paginated list (`items`, `nextCursor`) of the API. */
export async function allPages<T>(t: TestApp, account: TestAccount, path: string, query = '', limit = 1000): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | null = null;
  do {
    const res: request.Response = await request(t.url)
      .get(`${path}?limit=${limit}${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`)
      .set(bearer(account.ownerKey))
      .expect(200);
    all.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return all;
}

export function runItems(t: TestApp, account: TestAccount, runId: string, query = ''): Promise<Array<{ bitrix24UserId: number; employeeId: string | null; outcome: string; reason: string | null; name: string; details: Record<string, unknown> | null }>> {
  return allPages(t, account, `/api/v1/sync-runs/${runId}/items`, query);
}

export async function employeeByBitrix24Id(t: TestApp, connectionId: string, bitrix24UserId: number): Promise<Record<string, unknown> | null> {
  const [row] = await t.dataSource.query(
    `SELECT e.*, l.state AS link_state, l.matched_by, l.department_ids,
            EXISTS (SELECT 1 FROM responsible_employee r WHERE r.employee_id = e.id) AS responsible,
            coalesce((SELECT array_agg(p.digits ORDER BY p.position) FROM employee_phone p WHERE p.employee_id = e.id), '{}') AS phones
       FROM bitrix24_user_link l JOIN employee e ON e.id = l.employee_id
      WHERE l.connection_id = $1 AND l.bitrix24_user_id = $2`,
    [connectionId, bitrix24UserId],
  );
  return row ?? null;
}
