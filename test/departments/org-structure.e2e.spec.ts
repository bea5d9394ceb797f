import request from 'supertest';
import type { Bitrix24Department, Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { SyncWorker } from '../../src/sync/sync-worker.service';
import { PortalSimulator } from '../simulator/portal-simulator';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { employeeByBitrix24Id, runItems, runPollerOnce, synchronize, waitForRun } from '../support/sync';

const person = (id: number, departments: number[], fields: Partial<Bitrix24User> = {}): Bitrix24User => ({
  ID: String(id), ACTIVE: true, NAME: `N${id}`, LAST_NAME: `L${id}`, EMAIL: `p${id}@example.com`, UF_DEPARTMENT: departments, USER_TYPE: 'employee', ...fields,
});

// 1 Acme Trading (head 1) ─┬─ 2 Sales (head 10) ── 3 Sales East (no head) ── 4 Team A (head 40)
//                          └─ 5 Support (head 50)
const TREE: Bitrix24Department[] = [
  { ID: '1', NAME: 'Acme Trading', SORT: '100', UF_HEAD: '1' },
  { ID: '2', NAME: 'Sales', SORT: '200', PARENT: '1', UF_HEAD: '10' },
  { ID: '3', NAME: 'Sales East', SORT: '300', PARENT: '2' },
  { ID: '4', NAME: 'Team A', SORT: '400', PARENT: '3', UF_HEAD: '40' },
  { ID: '5', NAME: 'Support', SORT: '500', PARENT: '1', UF_HEAD: '50' },
];
const PEOPLE = [person(1, [1]), person(10, [2]), person(11, [2]), person(30, [3]), person(40, [4]), person(41, [4, 5]), person(50, [5]), person(51, [5])];

interface DepartmentView {
  id: string;
  name: string;
  parentId: string | null;
  kind: string;
  connectionId: string | null;
  bitrix24DepartmentId: number | null;
  headEmployeeId: string | null;
  supervisorEmployeeId: string | null;
  headProblem: string | null;
  present: boolean;
  inScope: boolean;
  employeeCount: number;
}

describe('organization structure: the tree, heads and managers, the selection, several portals (issue 13)', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;
  const key = () => bearer(acme.ownerKey);
  const emp = async (uid: number, connection = connectionId) => (await employeeByBitrix24Id(env.t, connection, uid))?.id as string;
  const departments = async (query = ''): Promise<DepartmentView[]> => (await request(env.t.url).get(`/api/v1/departments?limit=1000${query}`).set(key()).expect(200)).body.items;
  const byB24 = async (id: number, connection = connectionId) => (await departments(`&connectionId=${connection}`)).find((d) => d.bitrix24DepartmentId === id)!;
  const employee = async (id: string) => (await request(env.t.url).get(`/api/v1/employees/${id}`).set(key()).expect(200)).body;
  const callGroup = async (departmentId: string, query: string) =>
    ((await request(env.t.url).get(`/api/v1/departments/${departmentId}/employees?${query}`).set(key()).expect(200)).body.items as Array<{ id: string }>).map((e) => e.id).sort();
  const ids = async (uids: number[]) => (await Promise.all(uids.map((u) => emp(u)))).sort();
  /** PATCH the connection, then run the full run it queued. */
  const patchAndRun = async (body: Record<string, unknown>) => {
    const known: Array<{ id: string }> = await env.t.dataSource.query(`SELECT id FROM sync_run WHERE connection_id = $1`, [connectionId]);
    const res = await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send(body).expect(200);
    const [queued] = await env.t.dataSource.query(`SELECT id FROM sync_run WHERE connection_id = $1 AND trigger = 'manual' AND NOT (id = ANY($2::uuid[]))`, [connectionId, known.map((r) => r.id)]);
    expect(queued).toBeDefined();
    await env.t.app.get(SyncWorker).idle();
    await runPollerOnce(env.t, false);
    return { connection: res.body, run: await waitForRun(env.t, acme, queued.id) };
  };

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 0, departments: TREE });
    env.sim.setUsers(PEOPLE);
    acme = await createAccount(env.t, 'Tel Co');
    connectionId = await connectPortal(env.t, acme, env.sim);
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('builds the tree: a root named after the account, the portal named after its company, the departments as in Bitrix24', async () => {
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters).toMatchObject({ created: 8, department_created: 5 });
    const all = await departments();
    const root = all.find((d) => d.kind === 'root')!;
    const portal = all.find((d) => d.kind === 'portal')!;
    expect(root).toMatchObject({ name: 'Tel Co', parentId: null, connectionId: null });
    expect(portal).toMatchObject({ name: 'Acme Trading', parentId: root.id, connectionId });
    const d = Object.fromEntries(all.filter((x) => x.kind === 'bitrix24').map((x) => [x.bitrix24DepartmentId!, x]));
    expect(d[1].parentId).toBe(portal.id);
    expect([d[2].parentId, d[3].parentId, d[4].parentId, d[5].parentId]).toEqual([d[1].id, d[2].id, d[3].id, d[1].id]);
    expect(d[4]).toMatchObject({ name: 'Team A', present: true, inScope: true, employeeCount: 2 });
    const items = await runItems(env.t, acme, run.id, 'outcome=department_created');
    expect(items.map((i) => i.name).sort()).toEqual(['Acme Trading', 'Sales', 'Sales East', 'Support', 'Team A']);
    expect((await request(env.t.url).get(`/api/v1/departments/${d[2].id}`).set(key()).expect(200)).body).toMatchObject({ name: 'Sales', kind: 'bitrix24', bitrix24DepartmentId: 2 });
    expect((await departments('&q=sales')).map((x) => x.name).sort()).toEqual(['Sales', 'Sales East']);
  });

  it('sets heads, supervisors (the nearest head above) and managers (head of the first department; the supervisor for the head)', async () => {
    const [e1, e10, e40] = [await emp(1), await emp(10), await emp(40)];
    expect(await byB24(2)).toMatchObject({ headEmployeeId: e10, supervisorEmployeeId: e1, headProblem: null });
    expect(await byB24(3)).toMatchObject({ headEmployeeId: null, supervisorEmployeeId: e10 });
    expect(await byB24(4)).toMatchObject({ headEmployeeId: e40, supervisorEmployeeId: e10 });
    const managers = Object.fromEntries(await Promise.all([1, 10, 11, 30, 40, 41, 50].map(async (u) => [u, (await employee(await emp(u))).managerId])));
    expect(managers).toEqual({ 1: null, 10: e1, 11: e10, 30: e10, 40: e10, 41: e40, 50: e1 });
    // Departments in Bitrix24 order (UF_DEPARTMENT [4, 5]).
    expect((await employee(await emp(41))).departments.map((x: { name: string; bitrix24DepartmentId: number; id: string }) => [x.name, x.bitrix24DepartmentId, typeof x.id])).toEqual([
      ['Team A', 4, 'string'],
      ['Support', 5, 'string'],
    ]);
    const reports = (await request(env.t.url).get(`/api/v1/employees?managerId=${e10}`).set(key()).expect(200)).body.items.map((e: { id: string }) => e.id).sort();
    expect(reports).toEqual(await ids([11, 30, 40]));
  });

  it('serves call groups: a department’s people, with its subdepartments, by link state; filters on the directory', async () => {
    const sales = await byB24(2);
    expect(await callGroup(sales.id, 'state=active')).toEqual(await ids([10, 11]));
    expect(await callGroup(sales.id, 'includeSubdepartments=true&state=active')).toEqual(await ids([10, 11, 30, 40, 41]));
    const root = (await departments()).find((d) => d.kind === 'root')!;
    expect(await callGroup(root.id, 'includeSubdepartments=true')).toEqual(await ids([1, 10, 11, 30, 40, 41, 50, 51]));
    const listed = (await request(env.t.url).get(`/api/v1/employees?departmentId=${sales.id}&includeSubdepartments=true`).set(key()).expect(200)).body;
    expect(listed.total).toBe(5);
    // Hostile or foreign input: clear 4xx, never 500.
    await request(env.t.url).get('/api/v1/departments/not-a-uuid').set(key()).expect(400);
    await request(env.t.url).get('/api/v1/departments/00000000-0000-4000-8000-000000000000/employees').set(key()).expect(404);
    await request(env.t.url).get(`/api/v1/departments/${sales.id}/employees?state=gone`).set(key()).expect(400);
    await request(env.t.url).get('/api/v1/departments?cursor=bogus').set(key()).expect(400);
    await request(env.t.url).get('/api/v1/employees?departmentId=42').set(key()).expect(400);
    const other = await createAccount(env.t, 'Other');
    await request(env.t.url).get(`/api/v1/departments/${sales.id}`).set(bearer(other.ownerKey)).expect(404);
    expect((await request(env.t.url).get('/api/v1/departments').set(bearer(other.ownerKey)).expect(200)).body.items).toEqual([]);
  });

  it('follows renames and moves; supervisors and managers follow the new place', async () => {
    env.sim.updateDepartment(5, { NAME: 'Customer Care' });
    env.sim.updateDepartment(3, { PARENT: 5 });
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters).toMatchObject({ department_renamed: 1, department_moved: 1 });
    const [moved] = await runItems(env.t, acme, run.id, 'outcome=department_moved');
    expect(moved).toMatchObject({ name: 'Sales East', details: { bitrix24DepartmentId: 3, fromBitrix24ParentId: 2, toBitrix24ParentId: 5 } });
    const care = await byB24(5);
    expect(care.name).toBe('Customer Care');
    expect(await byB24(3)).toMatchObject({ parentId: care.id, supervisorEmployeeId: await emp(50) });
    expect((await employee(await emp(30))).managerId).toBe(await emp(50));
    const again = await synchronize(env.t, acme, connectionId);
    expect(again.counters.department_moved ?? 0).toBe(0);
  });

  it('follows a head change; a dismissed head leaves the field empty and the report says why', async () => {
    env.sim.updateDepartment(2, { UF_HEAD: 11 });
    await synchronize(env.t, acme, connectionId);
    expect((await byB24(2)).headEmployeeId).toBe(await emp(11));
    expect((await employee(await emp(10))).managerId).toBe(await emp(11));
    env.sim.dismissUser(40);
    const run = await synchronize(env.t, acme, connectionId);
    expect(await byB24(4)).toMatchObject({ headEmployeeId: null, headProblem: 'not_active' });
    const [item] = await runItems(env.t, acme, run.id, 'outcome=head_unresolved');
    expect(item).toMatchObject({ reason: 'not_active', name: 'Team A', bitrix24UserId: 40 });
    expect((await employee(await emp(41))).managerId).toBeNull();
    // Reported once, not on every run.
    expect((await synchronize(env.t, acme, connectionId)).counters.head_unresolved ?? 0).toBe(0);
  });

  it('keeps a department Bitrix24 no longer returns, marked absent', async () => {
    env.sim.deleteDepartment(4);
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters.department_absent).toBe(1);
    expect(await byB24(4)).toMatchObject({ name: 'Team A', present: false });
    const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM department WHERE connection_id = $1 AND kind = 'bitrix24'`, [connectionId]);
    expect(n).toBe(5);
  });

  it('sync managers off: no heads, supervisors or managers', async () => {
    const { run } = await patchAndRun({ syncManagers: false });
    expect(run.status).toBe('succeeded');
    expect((await departments(`&connectionId=${connectionId}`)).every((d) => d.headEmployeeId === null && d.supervisorEmployeeId === null)).toBe(true);
    expect((await employee(await emp(11))).managerId).toBeNull();
    const { connection } = await patchAndRun({ syncManagers: true });
    expect(connection.settings.syncManagers).toBe(true);
    expect((await employee(await emp(10))).managerId).toBe(await emp(11));
  });

  it('a selection: people outside it leave the responsible list (held by the guard like dismissals), are never created, and come back as active', async () => {
    await request(env.t.url).put('/api/v1/responsible-employees').set(key()).send({ employeeIds: [await emp(50), await emp(11)] }).expect(200);
    // Sales only, new departments not included: 1, 41, 50 and 51 are out (30 moved under Support).
    const held = await patchAndRun({ departmentScope: { mode: 'selected', bitrix24DepartmentIds: [2], includeNewDepartments: false } });
    expect(held.connection.settings.departmentScope).toEqual({ mode: 'selected', bitrix24DepartmentIds: [2], includeNewDepartments: false });
    expect(held.run.status).toBe('awaiting_confirmation');
    expect(held.run.guard).toMatchObject({ held: true, outOfScope: 5 });
    await request(env.t.url).post(`/api/v1/sync-runs/${held.run.id}/confirm-removals`).set(key()).expect(200);
    expect(await employeeByBitrix24Id(env.t, connectionId, 50)).toMatchObject({ link_state: 'out_of_scope', responsible: false });
    expect(await employeeByBitrix24Id(env.t, connectionId, 11)).toMatchObject({ link_state: 'active', responsible: true });
    expect((await byB24(5)).inScope).toBe(false);
    expect((await byB24(2)).inScope).toBe(true);
    const out = (await request(env.t.url).get('/api/v1/employees?bitrix24State=out_of_scope').set(key()).expect(200)).body.items;
    expect(out.map((e: { id: string }) => e.id).sort()).toEqual(await ids([1, 30, 41, 50, 51]));

    // A new department under Sales while "include new" is off: its people are not created.
    env.sim.addDepartment({ ID: 6, NAME: 'Sales West', PARENT: 2 });
    env.sim.setUsers([...env.sim.users, person(60, [6])]);
    const skipped = await synchronize(env.t, acme, connectionId);
    expect(await employeeByBitrix24Id(env.t, connectionId, 60)).toBeNull();
    expect((await runItems(env.t, acme, skipped.id, 'outcome=skipped')).find((i) => i.bitrix24UserId === 60)).toMatchObject({ reason: 'out_of_scope', details: { cause: 'departments' } });
    expect((await byB24(6)).inScope).toBe(false);
  });

  it('"include new departments automatically" on: departments that appear later are imported, wherever they are', async () => {
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ removalGuardPercent: 100 }).expect(200);
    const { run } = await patchAndRun({ departmentScope: { mode: 'selected', bitrix24DepartmentIds: [2], includeNewDepartments: true } });
    // Sales West existed when this selection was saved: it is part of Sales now.
    expect(run.counters.created).toBe(1);
    expect(await employeeByBitrix24Id(env.t, connectionId, 60)).toMatchObject({ link_state: 'active' });
    env.sim.addDepartment({ ID: 7, NAME: 'Night Shift', PARENT: 5 });
    env.sim.setUsers([...env.sim.users, person(70, [7])]);
    await synchronize(env.t, acme, connectionId);
    expect(await employeeByBitrix24Id(env.t, connectionId, 70)).toMatchObject({ link_state: 'active' });
    expect(await byB24(7)).toMatchObject({ inScope: true });
    expect((await byB24(5)).inScope).toBe(false);
  });

  it('back in the selection: the same employees are active again, reported, and not put back on the responsible list', async () => {
    const before = await emp(50);
    const { run } = await patchAndRun({ departmentScope: { mode: 'all' } });
    expect(run.counters.back_in_scope).toBe(5);
    expect(await employeeByBitrix24Id(env.t, connectionId, 50)).toMatchObject({ id: before, link_state: 'active', responsible: false });
    const [item] = (await runItems(env.t, acme, run.id, 'outcome=back_in_scope')).filter((i) => i.bitrix24UserId === 50);
    expect(item.details).toMatchObject({ previousState: 'out_of_scope', responsibleRestored: false });
    expect((await departments(`&connectionId=${connectionId}`)).every((d) => d.inScope)).toBe(true);
  });

  it('validates the selection: bad shapes are a 400 and change nothing', async () => {
    for (const departmentScope of [{ mode: 'some' }, { mode: 'selected', bitrix24DepartmentIds: [-1] }, { mode: 'selected', bitrix24DepartmentIds: ['x'] }, { mode: 'selected', includeNewDepartments: 'yes' }, 'all']) {
      const res = await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ departmentScope }).expect(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ syncManagers: 'no' }).expect(400);
    const connection = (await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).expect(200)).body;
    expect(connection.settings).toMatchObject({ departmentScope: { mode: 'all' }, syncManagers: true });
  });

  describe('a second portal in the same account', () => {
    let second: PortalSimulator;
    let secondId: string;
    beforeAll(async () => {
      second = await PortalSimulator.start({
        people: 0,
        departments: [
          { ID: '1', NAME: 'Acme Logistics', UF_HEAD: '5' },
          { ID: '2', NAME: 'Warehouse', PARENT: '1', UF_HEAD: '6' },
        ],
      });
      // User 6 of the second portal is the same person as user 11 of the first (same email).
      second.setUsers([person(5, [1], { EMAIL: 'boss2@example.com' }), person(6, [2], { EMAIL: 'p11@example.com' }), person(7, [2], { EMAIL: 'w7@example.com' })]);
      second.setAdmin(5);
      const res = await request(env.t.url).post('/api/v1/bitrix24/connections').set(key()).send({ webhookUrl: second.createWebhook({ scope: ['user', 'department'], userId: 5 }), edition: 'cloud' });
      expect(res.body).toMatchObject({ id: expect.any(String) });
      secondId = res.body.id;
    });
    afterAll(async () => {
      await second.stop();
    });

    it('hangs its chart under the same root; a person linked to both portals belongs to departments of both', async () => {
      const run = await synchronize(env.t, acme, secondId);
      expect(run.counters).toMatchObject({ created: 2, linked_by_email: 1, department_created: 2 });
      const all = await departments();
      const root = all.find((d) => d.kind === 'root')!;
      const portals = all.filter((d) => d.kind === 'portal');
      expect(portals.map((p) => [p.name, p.parentId]).sort()).toEqual([
        ['Acme Logistics', root.id],
        ['Acme Trading', root.id],
      ]);
      const warehouse = await byB24(2, secondId);
      expect(warehouse.parentId).toBe((await byB24(1, secondId)).id);
      const shared = await emp(11);
      expect(await emp(6, secondId)).toBe(shared);
      const names = (await employee(shared)).departments.map((d: { name: string; connectionId: string }) => [d.connectionId === connectionId ? 'first' : 'second', d.name]);
      expect(names).toEqual([
        ['first', 'Sales'],
        ['second', 'Warehouse'],
      ]);
      // The manager comes from the portal the person was linked from first (where they head Sales).
      expect((await employee(shared)).managerId).toBe(await emp(1));
      expect(warehouse.headEmployeeId).toBe(shared);
      expect((await employee(await emp(7, secondId))).managerId).toBe(shared);
      expect(await callGroup(root.id, 'includeSubdepartments=true&state=active')).toContain(await emp(7, secondId));
    });
  });
});
