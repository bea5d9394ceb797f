import request from 'supertest';
import type { Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { DepartmentStore } from '../../src/sync/department-store';
import { DepartmentSync } from '../../src/sync/department-sync.service';
import { RunAborted } from '../../src/sync/sync-engine.service';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { runItems, runPollerOnce, synchronize, waitForRun } from '../support/sync';

// Issue 13 rule 3 / issue 14: a real run reports each changed manager (manager_changed) with
// the write it reports, page by page, so a run stopped in the department phase and resumed
// reports every change once (issue 12, finding 4) — and an unchanged re-sync reports none.

describe('manager changes in the run report', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;

  const managers = async (): Promise<Map<string, string | null>> => {
    const rows: Array<{ id: string; manager_id: string | null }> = await env.t.dataSource.query(`SELECT id, manager_id FROM employee WHERE account_id = $1`, [acme.id]);
    return new Map(rows.map((r) => [r.id, r.manager_id]));
  };
  const linked = async (userId: unknown): Promise<boolean> =>
    (await env.t.dataSource.query(`SELECT 1 FROM bitrix24_user_link WHERE connection_id = $1 AND bitrix24_user_id = $2 AND state = 'active'`, [connectionId, Number(userId)])).length > 0;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 400, departments: 24, seed: 21, rateLimit: false });
    // Pages of 64 links: the department phase writes (and can be stopped) page by page.
    env.t.app.get(DepartmentSync).peoplePageSize = 64;
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
    expect((await synchronize(env.t, acme, connectionId)).status).toBe('succeeded');
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('new heads everywhere, the run stopped after the first page of managers and resumed: every change reported once, as written', async () => {
    const active = (u: Bitrix24User) => u.ACTIVE === true && u.USER_TYPE === 'employee';
    // Each department (the company aside) gets another of its own people as head.
    let changedHeads = 0;
    for (const d of env.sim.departments.slice(1)) {
      const members = env.sim.users.filter((u) => active(u) && Array.isArray(u.UF_DEPARTMENT) && Number(u.UF_DEPARTMENT[0]) === Number(d.ID) && u.ID !== d.UF_HEAD);
      const successor = [];
      for (const u of members) if (await linked(u.ID)) successor.push(u);
      if (!successor.length) continue;
      env.sim.updateDepartment(d.ID as string, { UF_HEAD: successor[0].ID });
      changedHeads++;
    }
    expect(changedHeads).toBeGreaterThan(5);
    const before = await managers();

    // The second page's write is refused as at a shutdown: the run is handed back after the first page committed.
    const store = env.t.app.get(DepartmentStore);
    const applyManagers = store.applyManagers.bind(store);
    let calls = 0;
    let after = new Map<string, string | null>();
    const spy = jest.spyOn(store, 'applyManagers').mockImplementation(async (...args) => {
      if (++calls === 2) throw new RunAborted('shutdown');
      return applyManagers(...args);
    });
    try {
      const res = await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(bearer(acme.ownerKey)).expect(202);
      await runPollerOnce(env.t, false);
      const run = await waitForRun(env.t, acme, res.body.id);
      expect(run.status).toBe('succeeded');
      expect(calls).toBeGreaterThan(2);
      const [row] = await env.t.dataSource.query(`SELECT attempt_log FROM sync_run WHERE id = $1`, [run.id]);
      expect(row.attempt_log[0].outcome).toBe('handed_back');

      after = await managers();
      const changed = [...before].filter(([id, m]) => after.get(id) !== m).map(([id]) => id);
      const reported = await runItems(env.t, acme, run.id, 'outcome=manager_changed');
      expect(changed.length).toBeGreaterThan(64);
      // Once each: no change lost with the stopped attempt, none reported twice by the resumed one.
      expect(reported.map((i) => i.employeeId).sort()).toEqual(changed.sort());
      for (const i of reported) expect([i.details?.previousManagerId, i.details?.managerId]).toEqual([before.get(i.employeeId!), after.get(i.employeeId!)]);
      expect(run.counters.manager_changed).toBe(changed.length);
    } finally {
      spy.mockRestore();
    }

    // An unchanged re-sync: no manager written, none reported.
    const again = await synchronize(env.t, acme, connectionId);
    expect(again.counters.manager_changed).toBe(0);
    expect(await managers()).toEqual(after);
  });
});
