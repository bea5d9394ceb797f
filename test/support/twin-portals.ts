import { Client } from 'pg';
import request from 'supertest';
import { PortalSimulator, PortalSimulatorOptions } from '../simulator/portal-simulator';
import { bearer, createAccount, TestAccount } from './accounts';
import { connectPortal, PortalAndApp, startPortalAndApp, TEST_CLIENT_ID, TEST_CLIENT_SECRET } from './bitrix24';
import { ServiceChild } from './service-child';
import { runItems, RunView } from './sync';
import { freePort, startTestApp, TestApp } from './test-app';
import type { TestDatabase } from './test-database';

/**
 * Two identical portals (same seed, same changes) for comparing a faulted run with a clean
 * one: `reference` is synchronized in-process, undisturbed; `subject` is a database whose
 * runs are executed by real service processes (ServiceChild) that the test kills or stops.
 */
export interface TwinPortals {
  reference: PortalAndApp & { account: TestAccount; connectionId: string };
  subject: { sim: PortalSimulator; database: TestDatabase; account: TestAccount; connectionId: string; sql: Client };
  /** The same change on both portals. */
  change(apply: (sim: PortalSimulator) => void): void;
  close(): Promise<void>;
}

export async function startTwinPortals(simOptions: PortalSimulatorOptions): Promise<TwinPortals> {
  const reference = await startPortalAndApp(simOptions);
  const refAccount = await createAccount(reference.t, 'Acme');
  const refConnection = await connectPortal(reference.t, refAccount, reference.sim);

  // The subject is connected by an in-process app on its own database, which is then closed:
  // from here on only service processes touch that database.
  const port = await freePort();
  const sim = await PortalSimulator.start({ clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET, redirectUri: `http://127.0.0.1:${port}/bitrix24/oauth/callback`, ...simOptions });
  const connector = await startTestApp({ port, env: { BITRIX24_OAUTH_SERVERS: sim.serverDomain } });
  const account = await createAccount(connector, 'Acme');
  const connectionId = await connectPortal(connector, account, sim);
  await connector.app.close();
  const sql = new Client({ connectionString: connector.database.url });
  await sql.connect();
  return {
    reference: { ...reference, account: refAccount, connectionId: refConnection },
    subject: { sim, database: connector.database, account, connectionId, sql },
    change(apply) {
      apply(reference.sim);
      apply(sim);
    },
    async close() {
      await sql.end();
      await reference.t.close();
      await connector.database.drop();
      await reference.sim.stop();
      await sim.stop();
    },
  };
}

/** A service process for the subject: it claims queued and orphaned runs every second. */
export function startSubjectService(twins: TwinPortals, env: Record<string, string> = {}): Promise<ServiceChild> {
  return ServiceChild.start(twins.subject.database, {
    BITRIX24_OAUTH_SERVERS: twins.subject.sim.serverDomain,
    SYNC_SCHEDULER_ENABLED: 'true',
    SYNC_TICK_SECONDS: '1',
    ...env,
  });
}

/** Employee ids differ between two databases: in an item's details (a manager's, a previous manager's) they only say "an employee". */
const withoutEmployeeIds = (details: Record<string, unknown> | null): string => JSON.stringify(details, (_key, value: unknown) => (typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value) ? 'employee' : value));

/** A run's report in a form two databases can compare: counters, and every item without employee ids. */
export async function comparableReport(t: Pick<TestApp, 'url'>, account: TestAccount, runId: string): Promise<{ status: string; counters: RunView['counters']; processed: number; items: string[] }> {
  const run = (await request(t.url).get(`/api/v1/sync-runs/${runId}`).set(bearer(account.ownerKey)).expect(200)).body as RunView;
  const items = await runItems(t as TestApp, account, runId);
  return {
    status: run.status,
    counters: run.counters,
    processed: run.progress.processed,
    items: items.map((i) => [i.bitrix24UserId, i.outcome, i.reason, i.name, withoutEmployeeIds(i.details)].join('|')).sort(),
  };
}

export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Holds an EXCLUSIVE lock on a table (reads pass, writes wait) until released, so a
 * service process can be caught inside the transaction that writes it: `waitForBlockedWriter`
 * resolves once a backend of the database waits on the lock.
 */
export async function lockTable(sql: Client, databaseUrl: string, table: string): Promise<{ waitForBlockedWriter(timeoutMs?: number): Promise<void>; release(): Promise<void> }> {
  const holder = new Client({ connectionString: databaseUrl });
  // The suite's teardown may terminate a holder a failed test never released.
  holder.on('error', () => undefined);
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query(`LOCK TABLE ${table} IN EXCLUSIVE MODE`);
  return {
    async waitForBlockedWriter(timeoutMs = 60_000) {
      await waitUntil(
        async () => {
          // A writer waiting on this table's lock, not any lock wait: a killed process's backend
          // can still hold row locks for a moment, and the next process waiting on those is not
          // yet at the point the test means to catch.
          const { rows } = await sql.query(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = $1::regclass AND NOT granted AND pid <> $2`, [
            table,
            (holder as unknown as { processID: number }).processID,
          ]);
          return rows[0].n > 0;
        },
        `a writer blocked on ${table}`,
        timeoutMs,
      );
    },
    async release() {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    },
  };
}

/**
 * The subject twin's run, as the reliability tests drive it through real service processes:
 * its row, Synchronize on a given process, the lease a dead process leaves (expired at once,
 * so a test need not wait the minute), and the end of a run. `twins` is read when called
 * (suites assign it in beforeAll).
 */
export function subjectRuns(twins: () => TwinPortals) {
  const subject = () => twins().subject;
  const runRow = async (runId: string) => (await subject().sql.query(`SELECT status, processed, attempts, attempt_log, checkpoint FROM sync_run WHERE id = $1`, [runId])).rows[0];
  return {
    runRow,
    queue: async (child: ServiceChild) =>
      (await request(child.url).post(`/api/v1/bitrix24/connections/${subject().connectionId}/sync`).set(bearer(subject().account.ownerKey)).expect(202)).body.id as string,
    expireLease: () => subject().sql.query(`UPDATE bitrix24_connection SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [subject().connectionId]),
    finished: (runId: string) => waitUntil(async () => !['queued', 'running'].includes((await runRow(runId)).status), `run ${runId} to end`, 120_000),
  };
}
