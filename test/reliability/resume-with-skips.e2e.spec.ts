import { directorySnapshot } from '../support/directory-snapshot';
import type { ServiceChild } from '../support/service-child';
import { synchronize } from '../support/sync';
import { comparableReport, lockTable, startSubjectService, startTwinPortals, subjectRuns, TwinPortals, waitUntil } from '../support/twin-portals';

/**
 * Work in proportion to change (issue 12) meets resume (finding 4): a re-sync where most
 * people are settled (skipped by fingerprint) and most pages commit nothing, killed (kill -9
 * of a real service process) inside the transaction of a later page, then resumed by another
 * process, must report what a run planned from scratch reports — the `reference` twin, whose
 * fingerprints are cleared before each run — and leave the same directory; and so must the
 * unchanged run after it.
 */
// Real service processes on two shared cores: minutes, not the default minute.
jest.setTimeout(300_000);

describe('a fingerprinted re-sync killed mid-way and resumed ends where a run from scratch ends', () => {
  let twins: TwinPortals;
  const children: ServiceChild[] = [];

  const start = async () => {
    const child = await startSubjectService(twins);
    children.push(child);
    return child;
  };
  const { runRow, queue, expireLease, finished } = subjectRuns(() => twins);
  const referenceRun = async () => {
    const db = twins.reference.t.dataSource;
    await db.query(`UPDATE bitrix24_user_link SET fingerprint = NULL`);
    await db.query(`UPDATE bitrix24_connection SET people_derived_from = NULL`);
    const run = await synchronize(twins.reference.t, twins.reference.account, twins.reference.connectionId);
    return comparableReport(twins.reference.t, twins.reference.account, run.id);
  };
  const sameDirectories = async () =>
    expect(await directorySnapshot(async (text) => (await twins.subject.sql.query(text)).rows, twins.subject.connectionId)).toEqual(
      await directorySnapshot((text) => twins.reference.t.dataSource.query(text), twins.reference.connectionId),
    );

  beforeAll(async () => {
    twins = await startTwinPortals({ people: 6000, seed: 47, rateLimit: false });
  }, 120_000);
  afterEach(async () => {
    twins.subject.sim.faults.reset();
    for (const child of children.splice(0)) await child.kill();
  });
  afterAll(async () => {
    await twins?.close();
  });

  it('killed inside the second page that changes anything, resumed, then unchanged', async () => {
    const initial = await referenceRun();
    const first = await start();
    const initialRun = await queue(first);
    await finished(initialRun);
    expect(await comparableReport(first, twins.subject.account, initialRun)).toEqual(initial);

    // A few changes on the first and the last page, more in between; the other pages are settled and commit nothing.
    const uids: number[] = (await twins.reference.t.dataSource.query(`SELECT bitrix24_user_id FROM bitrix24_user_link WHERE state = 'active' ORDER BY 1`)).map(
      (r: { bitrix24_user_id: number }) => r.bitrix24_user_id,
    );
    twins.change((sim) => {
      for (const id of [uids[50], uids[3000], uids[3001], uids.at(-5)!]) sim.updateUser(id, { NAME: `Renamed ${id}` });
      sim.updateUser(uids[3500], { UF_DEPARTMENT: [] });
      sim.dismissUser(uids[4000]);
    });
    const expected = await referenceRun();
    expect(expected.counters).toMatchObject({ updated: expect.any(Number), dismissed: 1 });

    const runId = await queue(first);
    // The first page commits its change; the next page that changes anything is caught inside its transaction and killed.
    await waitUntil(async () => Number((await runRow(runId)).processed) > 0, 'a first committed page');
    const lock = await lockTable(twins.subject.sql, twins.subject.database.url!, 'employee');
    await lock.waitForBlockedWriter();
    await first.kill();
    await lock.release();
    const killed = await runRow(runId);
    expect(killed.status).toBe('running');
    expect(killed.checkpoint.afterUserId).toBeGreaterThan(0);

    await expireLease();
    const second = await start();
    await finished(runId);
    expect(await comparableReport(second, twins.subject.account, runId)).toEqual(expected);
    expect((await runRow(runId)).attempt_log.map((a: { outcome: string }) => a.outcome)).toEqual(['abandoned', 'succeeded']);
    await sameDirectories();

    // The resumed run left every fingerprint a clean run would: the unchanged run after it agrees too.
    const unchanged = await referenceRun();
    const nextRun = await queue(second);
    await finished(nextRun);
    expect(await comparableReport(second, twins.subject.account, nextRun)).toEqual(unchanged);
    await sameDirectories();
  });
});
