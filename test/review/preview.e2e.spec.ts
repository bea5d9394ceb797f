import request from 'supertest';
import type { Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { employeeByBitrix24Id, runItems, runPollerOnce, synchronize, waitForRun, type RunView } from '../support/sync';

/** A Bitrix24 user as user.get returns it (api-reference/user/user-get.md). */
function person(id: number, fields: Partial<Bitrix24User> = {}): Bitrix24User {
  return { ID: String(id), ACTIVE: true, NAME: `Name${id}`, LAST_NAME: `Last${id}`, SECOND_NAME: '', EMAIL: `user${id}@example.com`, WORK_PHONE: `+7 495 000-00-0${id}`, UF_DEPARTMENT: [1], USER_TYPE: 'employee', ...fields };
}

/** Every row a run could write, as one comparable value per table (the report tables aside). */
const WRITTEN_TABLES = ['employee', 'employee_phone', 'bitrix24_user_link', 'responsible_employee', 'bitrix24_department', 'department', 'employee_department', 'bitrix24_user_exclusion'];

describe('preview: POST /bitrix24/connections/{id}/sync { "dryRun": true }', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;
  const key = () => bearer(acme.ownerKey);
  const snapshot = async () => {
    const out: Record<string, string> = {};
    for (const table of WRITTEN_TABLES) {
      const [row] = await env.t.dataSource.query(`SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM ${table} t`);
      out[table] = `${row.n}:${row.h}`;
    }
    return out;
  };
  const connection = async () => (await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).expect(200)).body;
  const preview = async (): Promise<RunView & { dryRun: boolean }> => {
    const res = await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(key()).send({ dryRun: true }).expect(202);
    expect(res.body.dryRun).toBe(true);
    await runPollerOnce(env.t, false);
    return (await waitForRun(env.t, acme, res.body.id)) as RunView & { dryRun: boolean };
  };
  const report = async (runId: string) =>
    (await runItems(env.t, acme, runId)).map((i) => ({ user: i.bitrix24UserId, outcome: i.outcome, reason: i.reason, changed: (i.details?.changedFields as string[] | undefined) ?? null })).sort((a, b) => `${a.user}${a.outcome}`.localeCompare(`${b.user}${b.outcome}`));

  beforeAll(async () => {
    env = await startPortalAndApp({
      people: [person(1), person(2), person(3), person(4, { EMAIL: '' }), person(5, { EMAIL: 'shared@example.com' }), person(6, { EMAIL: 'manual@example.com' })],
      departments: [{ ID: '1', NAME: 'Company', PARENT: null, UF_HEAD: '1', SORT: '500' }],
    });
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
    await request(env.t.url).post('/api/v1/employees').set(key()).send({ firstName: 'Manual', lastName: 'Person', email: 'manual@example.com' }).expect(201);
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('before the first import: reports every outcome a real run reports, and writes nothing', async () => {
    const before = await snapshot();
    const { sync: syncBefore } = await connection();
    const run = await preview();
    expect(run).toMatchObject({ status: 'succeeded', dryRun: true, exportComplete: true, counters: { created: 4, linked_by_email: 1, skipped: 1, department_created: 1 } });
    expect(await snapshot()).toEqual(before);
    // Not the connection's last full sync, and the schedule did not move.
    const { sync: syncAfter } = await connection();
    expect(syncAfter.lastSuccessAt).toBe(syncBefore.lastSuccessAt);
    expect(syncAfter.nextSyncAt).toBe(syncBefore.nextSyncAt);
    const previewed = await report(run.id);
    expect((await runItems(env.t, acme, run.id)).filter((i) => i.outcome === 'created').every((i) => i.employeeId === null)).toBe(true);

    const real = await synchronize(env.t, acme, connectionId);
    expect(real.counters).toEqual(run.counters);
    expect(await report(real.id)).toEqual(previewed);
    expect((await connection()).sync.lastSuccessAt).not.toBeNull();
  });

  it('after changes: field changes, dismissals, deletions and the responsible list, reported and not applied', async () => {
    // Above the share these changes are, so the real run applies them too.
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ removalGuardPercent: 100 }).expect(200);
    const two = (await employeeByBitrix24Id(env.t, connectionId, 2))!;
    await request(env.t.url).put('/api/v1/responsible-employees').set(key()).send({ employeeIds: [two.id] }).expect(200);
    env.sim.updateUser(1, { LAST_NAME: 'Renamed' });
    env.sim.dismissUser(2);
    env.sim.deleteUser(3);
    env.sim.addUser(person(7));
    const before = await snapshot();
    const run = await preview();
    expect(run.counters).toMatchObject({ updated: 1, dismissed: 1, deleted: 1, created: 1, removed_from_responsible: 1 });
    expect(await snapshot()).toEqual(before);
    expect(await employeeByBitrix24Id(env.t, connectionId, 1)).toMatchObject({ last_name: '(bitrix24) Last1', link_state: 'active' });
    expect(await employeeByBitrix24Id(env.t, connectionId, 2)).toMatchObject({ link_state: 'active', responsible: true });
    const previewed = await report(run.id);
    expect(previewed).toEqual(expect.arrayContaining([{ user: 1, outcome: 'updated', reason: null, changed: ['lastName'] }]));

    const real = await synchronize(env.t, acme, connectionId);
    expect(real.counters).toEqual(run.counters);
    // The preview reports every skipped person; the real run itemizes only new or changed
    // problems (issue 12), and person 4 has been skipped (missing_email) since the first sync.
    expect(await report(real.id)).toEqual(previewed.filter((i) => !(i.user === 4 && i.outcome === 'skipped')));
    expect(previewed).toEqual(expect.arrayContaining([{ user: 4, outcome: 'skipped', reason: 'missing_email', changed: null }]));
    expect(await employeeByBitrix24Id(env.t, connectionId, 2)).toMatchObject({ link_state: 'dismissed', responsible: false });
  });

  it('a mass removal the guard would hold: counted as the real run counts it, listed as held, nothing to confirm', async () => {
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ removalGuardPercent: 10 }).expect(200);
    env.sim.dismissUser(1);
    env.sim.dismissUser(5);
    const run = await preview();
    expect(run.status).toBe('succeeded');
    expect(run.guard).toMatchObject({ held: true, dismissals: 2 });
    expect(run.counters).toMatchObject({ dismissed: 0 });
    const held = await request(env.t.url).get(`/api/v1/sync-runs/${run.id}/pending-removals`).set(key()).expect(200);
    expect(held.body.map((p: { bitrix24UserId: number }) => p.bitrix24UserId).sort()).toEqual([1, 5]);
    expect((await request(env.t.url).post(`/api/v1/sync-runs/${run.id}/confirm-removals`).set(key()).expect(409)).body.error.code).toBe('run_not_awaiting_confirmation');
    expect(await employeeByBitrix24Id(env.t, connectionId, 1)).toMatchObject({ link_state: 'active' });
    const real = await synchronize(env.t, acme, connectionId);
    expect(real).toMatchObject({ status: 'awaiting_confirmation', counters: run.counters, guard: run.guard });
  });

  it('one full run at a time: a preview while a real run is queued is refused with that run', async () => {
    const queued = await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(key()).send({}).expect(202);
    const refused = await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(key()).send({ dryRun: true }).expect(409);
    expect(refused.body.error).toMatchObject({ code: 'run_in_flight', details: { runId: queued.body.id, dryRun: false } });
    await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(key()).send({ dryRun: 'yes' }).expect(400);
    await runPollerOnce(env.t, false);
    await waitForRun(env.t, acme, queued.body.id);
  });
});
