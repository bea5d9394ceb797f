import request from 'supertest';
import type { Bitrix24Department, Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { runItems, runPollerOnce, synchronize, waitForRun, type RunView } from '../support/sync';

// Issue 14: "The page offers [the preview] … before applying a scope change". The preview runs
// with the proposed selection; the connection keeps the saved one until the owner PATCHes it.

const person = (id: number, departments: number[]): Bitrix24User => ({
  ID: String(id), ACTIVE: true, NAME: `N${id}`, LAST_NAME: `L${id}`, EMAIL: `p${id}@example.com`, UF_DEPARTMENT: departments, USER_TYPE: 'employee',
});
// 1 Company ─┬─ 2 Sales ── 3 Sales East
//            └─ 4 Support
const TREE: Bitrix24Department[] = [
  { ID: '1', NAME: 'Company', SORT: '100', UF_HEAD: '1' },
  { ID: '2', NAME: 'Sales', SORT: '200', PARENT: '1', UF_HEAD: '10' },
  { ID: '3', NAME: 'Sales East', SORT: '300', PARENT: '2' },
  { ID: '4', NAME: 'Support', SORT: '400', PARENT: '1', UF_HEAD: '40' },
];
const PEOPLE = [person(1, [1]), person(10, [2]), person(11, [2]), person(30, [3]), person(40, [4]), person(41, [4])];
const SALES_ONLY = { mode: 'selected', bitrix24DepartmentIds: [2], includeNewDepartments: false };
const WRITTEN_TABLES = ['employee', 'employee_phone', 'bitrix24_user_link', 'responsible_employee', 'department', 'employee_department', 'bitrix24_connection'];

describe('preview of a department selection that is not saved yet', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;
  const key = () => bearer(acme.ownerKey);
  const sync = (body: Record<string, unknown>) => request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(key()).send(body);
  const snapshot = async () => {
    const out: Record<string, string> = {};
    for (const table of WRITTEN_TABLES) {
      const [row] = await env.t.dataSource.query(`SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM ${table} t`);
      out[table] = `${row.n}:${row.h}`;
    }
    return out;
  };
  // A manager change says who the new manager is by their Bitrix24 user (the same in a preview and the real run).
  const outcomes = async (run: RunView) =>
    (await runItems(env.t, acme, run.id))
      .map((i) => `${i.bitrix24UserId}:${i.outcome}:${i.reason ?? ''}${i.outcome === 'manager_changed' ? `:${String(i.details?.managerBitrix24UserId)}` : ''}`)
      .filter((s) => !s.startsWith('null'))
      .sort();

  beforeAll(async () => {
    env = await startPortalAndApp({ people: PEOPLE, departments: TREE });
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ removalGuardPercent: 100 }).expect(200);
    expect((await synchronize(env.t, acme, connectionId)).status).toBe('succeeded');
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('departmentScope needs dryRun: a real run cannot be started with a selection that is not saved', async () => {
    const res = await sync({ departmentScope: SALES_ONLY }).expect(400);
    expect(res.body.error.code).toBe('department_scope_needs_preview');
    const bad = await sync({ dryRun: true, departmentScope: { mode: 'selected', bitrix24DepartmentIds: ['x'] } }).expect(400);
    expect(bad.body.error.code).toBe('validation_failed');
  });

  it('reports what the selection would do, writes nothing, keeps the saved selection; saving it then does exactly that', async () => {
    const before = await snapshot();
    const queued = await sync({ dryRun: true, departmentScope: SALES_ONLY }).expect(202);
    expect(queued.body).toMatchObject({ dryRun: true, proposedDepartmentScope: SALES_ONLY });
    // Another selection while that preview waits is refused with the run in flight.
    const other = await sync({ dryRun: true, departmentScope: { ...SALES_ONLY, bitrix24DepartmentIds: [4] } }).expect(409);
    expect(other.body.error).toMatchObject({ code: 'run_in_flight', details: { runId: queued.body.id, dryRun: true } });
    await runPollerOnce(env.t, false);
    const preview = await waitForRun(env.t, acme, queued.body.id);
    // 1 (Company), 40 and 41 (Support) are outside Sales and its subdepartments.
    expect(preview).toMatchObject({ status: 'succeeded', guard: { outOfScope: 3 } });
    expect(await snapshot()).toEqual(before);
    const saved = (await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).expect(200)).body;
    expect(saved.settings.departmentScope).toMatchObject({ mode: 'all' });

    // A plain preview uses the saved selection again: nobody is out of scope.
    const plain = await sync({ dryRun: true }).expect(202);
    expect(plain.body.proposedDepartmentScope).toBeNull();
    await runPollerOnce(env.t, false);
    expect((await waitForRun(env.t, acme, plain.body.id)).guard).toBeNull();

    // Saving the selection queues the real run: the same outcomes as the preview.
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ departmentScope: SALES_ONLY }).expect(200);
    const [{ id }] = await env.t.dataSource.query(`SELECT id FROM sync_run WHERE connection_id = $1 AND NOT dry_run AND status IN ('queued', 'running')`, [connectionId]);
    await runPollerOnce(env.t, false);
    const real = await waitForRun(env.t, acme, id);
    // Heads and managers included: the Company and Support heads leave the selection, so
    // the Sales head and Support's people lose their manager, and the report says why.
    expect(real.counters).toEqual(preview.counters);
    expect(await outcomes(real)).toEqual(await outcomes(preview));
    expect(await outcomes(preview)).toEqual(
      expect.arrayContaining(['1:out_of_scope:', '40:out_of_scope:', '41:out_of_scope:', '1:head_unresolved:out_of_scope', '40:head_unresolved:out_of_scope', '10:manager_changed::null', '40:manager_changed::null', '41:manager_changed::null']),
    );
    const managerOf = async (userId: number) => (await env.t.dataSource.query(`SELECT e.manager_id FROM employee e JOIN bitrix24_user_link l ON l.employee_id = e.id WHERE l.connection_id = $1 AND l.bitrix24_user_id = $2`, [connectionId, userId]))[0].manager_id;
    expect([await managerOf(10), await managerOf(41), await managerOf(11)]).toEqual([null, null, expect.any(String)]);
    const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM bitrix24_user_link WHERE connection_id = $1 AND state = 'out_of_scope'`, [connectionId]);
    expect(n).toBe(3);
  });

  it('a selection saved while a preview holds the run slot is applied right after it (the connection is due)', async () => {
    // A slow portal keeps the preview in flight (the POST wakes the worker) while the selection is saved.
    env.sim.faults.slow(1500);
    const queued = await sync({ dryRun: true }).expect(202);
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ departmentScope: { mode: 'all' } }).expect(200);
    env.sim.faults.slow(0);
    const [{ due }] = await env.t.dataSource.query(`SELECT next_sync_at <= now() AS due FROM bitrix24_connection WHERE id = $1`, [connectionId]);
    expect(due).toBe(true);
    await runPollerOnce(env.t, false);
    expect(((await waitForRun(env.t, acme, queued.body.id)) as RunView & { dryRun: boolean }).dryRun).toBe(true);
    // The next tick runs the due connection for real: everybody is back in scope.
    await runPollerOnce(env.t, true);
    const [{ id }] = await env.t.dataSource.query(`SELECT id FROM sync_run WHERE connection_id = $1 AND NOT dry_run ORDER BY queued_at DESC LIMIT 1`, [connectionId]);
    const real = await waitForRun(env.t, acme, id);
    expect(real.counters).toMatchObject({ back_in_scope: 3 });
    const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM bitrix24_user_link WHERE connection_id = $1 AND state = 'out_of_scope'`, [connectionId]);
    expect(n).toBe(0);
  });
});
