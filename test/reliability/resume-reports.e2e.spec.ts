import request from 'supertest';
import { bearer } from '../support/accounts';
import type { ServiceChild } from '../support/service-child';
import { synchronize } from '../support/sync';
import { comparableReport, lockTable, startSubjectService, startTwinPortals, subjectRuns, TwinPortals, waitUntil } from '../support/twin-portals';

/**
 * Issue 12, finding 4: a run killed (kill -9 of a real service process) or handed back at
 * shutdown, then resumed by another process, must report exactly what a clean run of the
 * same portal reports — counters and items — and apply each removal once. The clean run is
 * the `reference` twin (same seed, same changes), synchronized undisturbed.
 */
// Real service processes on two shared cores: minutes, not the default minute.
jest.setTimeout(300_000);

describe('run reports across kill -9, hand-backs and take-overs', () => {
  let twins: TwinPortals;
  const children: ServiceChild[] = [];

  const start = async (env: Record<string, string> = {}) => {
    const child = await startSubjectService(twins, env);
    children.push(child);
    return child;
  };
  const { runRow, queue, expireLease, finished } = subjectRuns(() => twins);
  const committedChunks = async (runId: string) => Number((await runRow(runId)).processed);
  const referenceRun = async () => {
    const run = await synchronize(twins.reference.t, twins.reference.account, twins.reference.connectionId);
    return comparableReport(twins.reference.t, twins.reference.account, run.id);
  };

  beforeAll(async () => {
    twins = await startTwinPortals({ people: 6000, seed: 41, rateLimit: false });
  }, 120_000);
  afterEach(async () => {
    twins.subject.sim.faults.reset();
    for (const child of children.splice(0)) await child.kill();
  });
  afterAll(async () => {
    await twins?.close();
  });

  it('an initial import killed inside a chunk and again after one reports what a clean import reports', async () => {
    const expected = await referenceRun();
    expect(expected.counters.created).toBeGreaterThan(5000);

    twins.subject.sim.faults.slow(300);
    const first = await start();
    const runId = await queue(first);
    await waitUntil(async () => (await committedChunks(runId)) > 0, 'a first committed chunk');
    // Caught inside the next chunk's transaction (its employee rows wait on the lock), then killed.
    const lock = await lockTable(twins.subject.sql, twins.subject.database.url!, 'employee');
    await lock.waitForBlockedWriter();
    await first.kill();
    await lock.release();
    const afterFirst = await runRow(runId);
    expect(afterFirst.status).toBe('running');
    expect(afterFirst.checkpoint.afterUserId).toBeGreaterThan(0);

    await expireLease();
    const second = await start();
    await waitUntil(async () => (await committedChunks(runId)) > afterFirst.processed, 'the resumed attempt to commit a chunk');
    await second.kill();

    twins.subject.sim.faults.reset();
    await expireLease();
    const third = await start();
    await finished(runId);
    const report = await comparableReport(third, twins.subject.account, runId);
    expect(report).toEqual(expected);

    const run = await runRow(runId);
    expect(run.attempts).toBe(3);
    expect(run.attempt_log.map((a: { outcome: string }) => a.outcome)).toEqual(['abandoned', 'abandoned', 'succeeded']);
    expect(run.attempt_log[1].resumedAfterUserId).toBe(afterFirst.checkpoint.afterUserId);
    const api = (await request(third.url).get(`/api/v1/sync-runs/${runId}`).set(bearer(twins.subject.account.ownerKey)).expect(200)).body;
    expect(api.attempt).toBe(3);
    expect(api.attempts[0]).toMatchObject({ attempt: 1, outcome: 'abandoned', resumedAfterUserId: null });
    // The directory is the clean one too: one employee per link, as many as the reference has.
    const [{ employees, links }] = (await twins.subject.sql.query(`SELECT (SELECT count(*)::int FROM employee) AS employees, (SELECT count(*)::int FROM bitrix24_user_link) AS links`)).rows;
    const [ref] = await twins.reference.t.dataSource.query(`SELECT (SELECT count(*)::int FROM employee) AS employees, (SELECT count(*)::int FROM bitrix24_user_link) AS links`);
    expect({ employees, links }).toEqual(ref);
  });

  it('a re-sync killed while finding dismissals and again while applying removals removes and reports each person once', async () => {
    // The same people on both responsible lists, so "removed_from_responsible" is part of the report.
    const uids: number[] = (
      await twins.reference.t.dataSource.query(`SELECT bitrix24_user_id FROM bitrix24_user_link WHERE state = 'active' ORDER BY bitrix24_user_id`)
    ).map((r: { bitrix24_user_id: number }) => r.bitrix24_user_id);
    const [dismissed, deleted, alsoDismissed] = [uids.slice(10, 14), uids.slice(20, 22), uids.slice(4000, 4010)];
    const responsible = [...dismissed, ...deleted];
    const idsOn = async (query: (sql: string, params: unknown[]) => Promise<Array<{ employee_id: string }>>, connectionId: string) =>
      (await query(`SELECT employee_id FROM bitrix24_user_link WHERE connection_id = $1 AND bitrix24_user_id = ANY($2::int[])`, [connectionId, responsible])).map((r) => r.employee_id);
    const refIds = await idsOn((s, p) => twins.reference.t.dataSource.query(s, p), twins.reference.connectionId);
    await request(twins.reference.t.url).put('/api/v1/responsible-employees').set(bearer(twins.reference.account.ownerKey)).send({ employeeIds: refIds }).expect(200);
    const first = await start();
    const subjectIds = await idsOn(async (s, p) => (await twins.subject.sql.query(s, p)).rows, twins.subject.connectionId);
    await request(first.url).put('/api/v1/responsible-employees').set(bearer(twins.subject.account.ownerKey)).send({ employeeIds: subjectIds }).expect(200);
    expect(subjectIds).toHaveLength(responsible.length);

    twins.change((sim) => {
      for (const id of [...dismissed, ...alsoDismissed]) sim.dismissUser(id);
      for (const id of deleted) sim.deleteUser(id);
      for (const id of uids.slice(100, 3000).filter((_, i) => i % 100 === 0)) sim.updateUser(id, { NAME: `Renamed ${id}` });
    });
    const expected = await referenceRun();
    expect(expected.counters).toMatchObject({ dismissed: 14, deleted: 2, removed_from_responsible: 6 });

    // Kill 1: inside the transaction of the chunk that found the first dismissals.
    const pending = await lockTable(twins.subject.sql, twins.subject.database.url!, 'sync_pending_removal');
    const runId = await queue(first);
    await pending.waitForBlockedWriter();
    await first.kill();
    await pending.release();

    // Kill 2: the export is complete, inside the transaction that applies the removals.
    const responsibleLock = await lockTable(twins.subject.sql, twins.subject.database.url!, 'responsible_employee');
    await expireLease();
    const second = await start();
    await responsibleLock.waitForBlockedWriter(90_000);
    expect((await runRow(runId)).checkpoint.stage).toBe('verified');
    await second.kill();
    await responsibleLock.release();

    await expireLease();
    const third = await start();
    await finished(runId);
    expect(await comparableReport(third, twins.subject.account, runId)).toEqual(expected);
    const run = await runRow(runId);
    expect(run.attempt_log.map((a: { outcome: string }) => a.outcome)).toEqual(['abandoned', 'abandoned', 'succeeded']);
    const states = async (rows: Array<{ state: string; n: number }>) => Object.fromEntries(rows.map((r) => [r.state, r.n]));
    const linkStates = `SELECT state, count(*)::int AS n FROM bitrix24_user_link GROUP BY state`;
    expect(await states((await twins.subject.sql.query(linkStates)).rows)).toEqual(await states(await twins.reference.t.dataSource.query(linkStates)));
    expect((await twins.subject.sql.query(`SELECT count(*)::int AS n FROM responsible_employee`)).rows[0].n).toBe(0);
    expect((await twins.subject.sql.query(`SELECT count(*)::int AS n FROM sync_pending_removal`)).rows[0].n).toBe(0);
  });

  it('a run handed back at shutdown, then taken over from a live process whose lease expired, reports what a clean run reports', async () => {
    twins.change((sim) => {
      for (const user of sim.users.filter((_, i) => i % 25 === 3)) sim.updateUser(user.ID as string, { NAME: `Moved ${String(user.ID)}` });
    });
    const expected = await referenceRun();
    expect(expected.counters.updated).toBeGreaterThan(200);

    twins.subject.sim.faults.slow(300);
    // SIGTERM while the first chunk waits on a lock: the chunk commits, then the run is handed back.
    const firstChunk = await lockTable(twins.subject.sql, twins.subject.database.url!, 'employee');
    const first = await start({ SYNC_SHUTDOWN_GRACE_SECONDS: '0' });
    const runId = await queue(first);
    await firstChunk.waitForBlockedWriter();
    const stopping = first.stop();
    await first.waitForLog((l) => l.msg === 'shutting down: letting running syncs finish');
    await firstChunk.release();
    await stopping;
    expect(await committedChunks(runId)).toBeGreaterThan(0);
    const handedBack = await runRow(runId);
    expect(handedBack.status).toBe('queued');
    expect(handedBack.attempt_log[0].outcome).toBe('handed_back');

    // A live process stalls inside a chunk (its writes wait on a lock) and loses its lease:
    // the next process takes the run over after that chunk, and the stalled one's next chunk is refused.
    const lock = await lockTable(twins.subject.sql, twins.subject.database.url!, 'employee');
    const stalled = await start();
    await lock.waitForBlockedWriter();
    await twins.subject.sql.query(`UPDATE bitrix24_connection SET lease_owner = 'expired', lease_expires_at = now() - interval '1 second' WHERE id = $1`, [twins.subject.connectionId]);
    const taker = await start();
    await waitUntil(
      async () => !['expired', (await runRow(runId)).attempt_log[1].runnerId].includes((await twins.subject.sql.query(`SELECT lease_owner FROM bitrix24_connection WHERE id = $1`, [twins.subject.connectionId])).rows[0].lease_owner),
      'the taker to hold the connection',
    );
    await lock.release();
    await finished(runId);
    await stalled.waitForLog((l) => l.msg === 'sync run stopped: another replica holds the connection now');
    expect(await comparableReport(taker, twins.subject.account, runId)).toEqual(expected);
    const run = await runRow(runId);
    expect(run.attempt_log.map((a: { outcome: string }) => a.outcome)).toEqual(['handed_back', 'abandoned', 'succeeded']);
  });
});
