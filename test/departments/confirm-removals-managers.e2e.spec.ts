import request from 'supertest';
import type { Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { employeeByBitrix24Id, runItems, synchronize } from '../support/sync';

// Issue 13 rule 3 with the mass-removal guard: a held dismissal of a department head, once the
// owner confirms it, takes the head off as manager right away (the confirmation runs the
// department phase of a run and reports its items on the held run), not at the next run.

describe('confirming held removals re-derives heads and managers', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;
  const key = () => bearer(acme.ownerKey);
  const isEmployee = (u: Bitrix24User) => u.ACTIVE === true && u.USER_TYPE === 'employee';
  const managerOf = async (userId: number) => ((await employeeByBitrix24Id(env.t, connectionId, userId))?.manager_id as string | null | undefined) ?? null;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 120, departments: 8, seed: 31, rateLimit: false });
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
    expect((await synchronize(env.t, acme, connectionId)).status).toBe('succeeded');
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('a held dismissal of a head, confirmed: that department’s people have no manager at once, reported on the held run; the next run changes nothing', async () => {
    // A department whose head is imported and manages at least one of its people.
    let found: { departmentId: number; headUserId: number; headEmployeeId: string; members: number[] } | undefined;
    for (const d of env.sim.departments) {
      const head = env.sim.users.find((u) => u.ID === d.UF_HEAD);
      const headEmployee = head && isEmployee(head) ? await employeeByBitrix24Id(env.t, connectionId, Number(head.ID)) : null;
      if (!headEmployee || headEmployee.link_state !== 'active') continue;
      const members: number[] = [];
      for (const u of env.sim.users) {
        if (u.ID === head!.ID || !isEmployee(u) || !Array.isArray(u.UF_DEPARTMENT) || Number(u.UF_DEPARTMENT[0]) !== Number(d.ID)) continue;
        if ((await managerOf(Number(u.ID))) === headEmployee.id) members.push(Number(u.ID));
      }
      if (members.length) {
        found = { departmentId: Number(d.ID), headUserId: Number(head!.ID), headEmployeeId: headEmployee.id as string, members };
        break;
      }
    }
    expect(found).toBeDefined();
    const { departmentId, headUserId, headEmployeeId, members } = found!;

    // Any removal is held.
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ removalGuardPercent: 0 }).expect(200);
    env.sim.dismissUser(headUserId);
    const held = await synchronize(env.t, acme, connectionId);
    expect(held.status).toBe('awaiting_confirmation');
    // Held: the head is still active here, and still manages their people.
    for (const m of members) expect(await managerOf(m)).toBe(headEmployeeId);

    const confirmed = await request(env.t.url).post(`/api/v1/sync-runs/${held.id}/confirm-removals`).set(key()).expect(200);
    expect(confirmed.body).toMatchObject({ status: 'succeeded', guardResolution: 'confirmed', counters: { dismissed: 1, head_unresolved: 1 } });
    expect(confirmed.body.counters.manager_changed).toBeGreaterThanOrEqual(members.length);
    expect(await employeeByBitrix24Id(env.t, connectionId, headUserId)).toMatchObject({ link_state: 'dismissed' });
    for (const m of members) expect(await managerOf(m)).toBeNull();

    const items = await runItems(env.t, acme, held.id);
    expect(items.filter((i) => i.outcome === 'head_unresolved')).toEqual([expect.objectContaining({ bitrix24UserId: headUserId, reason: 'not_active', details: expect.objectContaining({ bitrix24DepartmentId: departmentId }) })]);
    const changed = items.filter((i) => i.outcome === 'manager_changed');
    expect(changed.length).toBe(confirmed.body.counters.manager_changed);
    for (const m of members) expect(changed.find((i) => i.bitrix24UserId === m)?.details).toMatchObject({ managerId: null, previousManagerId: headEmployeeId, bitrix24DepartmentId: departmentId });
    const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM employee WHERE account_id = $1 AND manager_id = $2`, [acme.id, headEmployeeId]);
    expect(n).toBe(0);

    // What the confirmation derived is what a run derives: the next one has nothing to change.
    const next = await synchronize(env.t, acme, connectionId);
    expect(next.status).toBe('succeeded');
    expect(next.counters).toMatchObject({ manager_changed: 0, head_unresolved: 0, dismissed: 0 });
  });
});
