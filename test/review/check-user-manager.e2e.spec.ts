import request from 'supertest';
import type { Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { employeeByBitrix24Id, runItems, runPollerOnce, synchronize, waitForRun } from '../support/sync';

// Issue 14 / 13 rule 3: the check of one person shows the manager the import gives them (the
// department phase's own rule, plannedManager) and whether it changes; applying it sets that
// manager, as the run's manager_changed item reports. A generated portal: its departments have
// heads in UF_HEAD (api-reference/departments/department-get.md), its people UF_DEPARTMENT.

describe('check-user: the planned manager', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;
  const key = () => bearer(acme.ownerKey);
  const check = (body: Record<string, unknown>) => request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/check-user`).set(key()).send(body).expect(200);
  const firstDepartment = (u: Bitrix24User) => (Array.isArray(u.UF_DEPARTMENT) && u.UF_DEPARTMENT.length ? Number(u.UF_DEPARTMENT[0]) : null);
  const isEmployee = (u: Bitrix24User) => u.ACTIVE === true && u.USER_TYPE === 'employee';
  const employeeId = async (userId: number) => ((await employeeByBitrix24Id(env.t, connectionId, userId))?.id as string | undefined) ?? null;
  const managerOf = async (userId: number) => ((await employeeByBitrix24Id(env.t, connectionId, userId))?.manager_id as string | null | undefined) ?? null;
  /** An imported department (not the top one) whose UF_HEAD is an imported, active person; and its head. */
  let department: { id: number; headUserId: number; headEmployeeId: string };

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 120, departments: 8, seed: 14, rateLimit: false });
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
    expect((await synchronize(env.t, acme, connectionId)).status).toBe('succeeded');
    for (const d of env.sim.departments) {
      if (d.PARENT === null || d.PARENT === undefined || !d.UF_HEAD) continue;
      const head = env.sim.users.find((u) => u.ID === d.UF_HEAD);
      const headEmployeeId = head && isEmployee(head) ? await employeeId(Number(head.ID)) : null;
      const link = headEmployeeId ? await employeeByBitrix24Id(env.t, connectionId, Number(head!.ID)) : null;
      if (headEmployeeId && link?.link_state === 'active') {
        department = { id: Number(d.ID), headUserId: Number(d.UF_HEAD), headEmployeeId };
        break;
      }
    }
    expect(department).toBeDefined();
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('a person moved into a department with a head: the check names that head and a change; applying it sets the same manager', async () => {
    // An imported person of another department (never its head), moved into this one.
    const heads = new Set(env.sim.departments.map((d) => String(d.UF_HEAD)));
    let mover: Bitrix24User | undefined;
    for (const u of env.sim.users) {
      if (!isEmployee(u) || heads.has(u.ID as string) || firstDepartment(u) === department.id) continue;
      if ((await managerOf(Number(u.ID))) !== department.headEmployeeId && (await employeeId(Number(u.ID)))) {
        mover = u;
        break;
      }
    }
    expect(mover).toBeDefined();
    const moverId = Number(mover!.ID);
    const before = await managerOf(moverId);
    env.sim.updateUser(moverId, { UF_DEPARTMENT: [department.id] });

    const res = await check({ bitrix24UserId: moverId });
    expect(res.body.outcome).toBe('updated');
    const expected = { bitrix24DepartmentId: department.id, managerEmployeeId: department.headEmployeeId, managerBitrix24UserId: department.headUserId, previousManagerId: before, changed: true, reason: null };
    expect(res.body.manager).toMatchObject(expected);
    expect(res.body.manager.managerName).toEqual(expect.any(String));
    expect(res.body.steps[4].details.manager).toEqual(res.body.manager);
    // Only a check: the manager is as it was.
    expect(await managerOf(moverId)).toBe(before);

    const applied = await check({ bitrix24UserId: moverId, apply: true });
    await runPollerOnce(env.t, false);
    const run = await waitForRun(env.t, acme, applied.body.run.id);
    expect(run.status).toBe('succeeded');
    expect(await managerOf(moverId)).toBe(department.headEmployeeId);
    const items = (await runItems(env.t, acme, run.id)).filter((i) => i.outcome === 'manager_changed' && i.bitrix24UserId === moverId);
    expect(items.map((i) => i.details)).toEqual([expect.objectContaining({ managerId: department.headEmployeeId, managerBitrix24UserId: department.headUserId, previousManagerId: before, bitrix24DepartmentId: department.id })]);

    // Checked again: the same manager, no change any more.
    expect((await check({ bitrix24UserId: moverId })).body.manager).toMatchObject({ ...expected, previousManagerId: department.headEmployeeId, changed: false });
  });

  it('a new person: the check names the head of their first department; the import creates them with that manager', async () => {
    const added = env.sim.addUser({ NAME: 'Nova', LAST_NAME: 'Newcomer', EMAIL: 'nova.newcomer@example.com', UF_DEPARTMENT: [department.id], USER_TYPE: 'employee', ACTIVE: true });
    const res = await check({ bitrix24UserId: Number(added.ID) });
    expect(res.body.outcome).toBe('created');
    expect(res.body.manager).toMatchObject({ managerEmployeeId: department.headEmployeeId, managerBitrix24UserId: department.headUserId, previousManagerId: null, changed: true, reason: null });

    const applied = await check({ bitrix24UserId: Number(added.ID), apply: true });
    await runPollerOnce(env.t, false);
    expect((await waitForRun(env.t, acme, applied.body.run.id)).status).toBe('succeeded');
    expect(await managerOf(Number(added.ID))).toBe(department.headEmployeeId);
  });

  it('the head of the department left: nobody, with the head_unresolved reason; with sync managers off: nobody, sync_managers_off', async () => {
    const member = env.sim.users.find((u) => isEmployee(u) && firstDepartment(u) === department.id && Number(u.ID) !== department.headUserId)!;
    env.sim.dismissUser(department.headUserId);
    // A run sees the head leave (one dismissal stays under the guard share).
    expect((await synchronize(env.t, acme, connectionId)).status).toBe('succeeded');
    expect((await check({ bitrix24UserId: Number(member.ID) })).body.manager).toMatchObject({ managerEmployeeId: null, managerBitrix24UserId: null, changed: false, reason: 'not_active' });

    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ syncManagers: false }).expect(200);
    expect((await check({ bitrix24UserId: Number(member.ID) })).body.manager).toMatchObject({ managerEmployeeId: null, reason: 'sync_managers_off' });
  });

  it('a skipped person has no planned manager', async () => {
    const noEmail = env.sim.addUser({ NAME: 'No', LAST_NAME: 'Mail', EMAIL: '', UF_DEPARTMENT: [department.id], USER_TYPE: 'employee', ACTIVE: true });
    const res = await check({ bitrix24UserId: Number(noEmail.ID) });
    expect(res.body).toMatchObject({ outcome: 'skipped', reason: 'missing_email', manager: null });
  });
});
