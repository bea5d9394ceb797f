import request from 'supertest';
import type { Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { DepartmentSync } from '../../src/sync/department-sync.service';
import { RunAborted } from '../../src/sync/sync-engine.service';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { runItems, runPollerOnce, synchronize, waitForRun, type RunView } from '../support/sync';

// Issue 14: a preview "reads the portal and reports every outcome and field change exactly as
// a real run would" — heads, supervisors and managers included (issue 13 rule 3) — and writes
// nothing. A generated portal (test/simulator/people-generator.ts) with heads who left, guests
// as heads and departments without a head; then head changes, moves, a dismissed head, a new
// head and a head who is skipped (no email).

/** Every row the department phase could write (heads and supervisors live on department, managers on employee). */
const WRITTEN_TABLES = ['employee', 'employee_phone', 'bitrix24_user_link', 'responsible_employee', 'department', 'employee_department'];

type Item = Awaited<ReturnType<typeof runItems>>[number];

describe('preview of departments, heads and managers', () => {
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
  const preview = async (): Promise<RunView> => {
    const res = await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(key()).send({ dryRun: true }).expect(202);
    await runPollerOnce(env.t, false);
    return waitForRun(env.t, acme, res.body.id);
  };
  /**
   * A run's report, comparable between a preview and the real run after it: employees the
   * preview would create have no id yet, so a manager is named by their Bitrix24 user, and
   * standing problems (skips, rejected phones) are left out: a real run itemizes only new or
   * changed ones (issue 12), a preview every one.
   */
  const report = async (run: RunView) =>
    (await runItems(env.t, acme, run.id))
      .filter((i) => i.outcome !== 'skipped' && i.outcome !== 'phone_rejected')
      .map((i) => {
        const d = i.details ?? {};
        const manager = i.outcome === 'manager_changed' ? `→${String(d.managerBitrix24UserId)} from ${String(d.previousManagerId)} via ${String(d.bitrix24DepartmentId)}` : '';
        const head = i.outcome === 'head_unresolved' ? `dept ${String(d.bitrix24DepartmentId)}` : '';
        return `${i.bitrix24UserId}:${i.outcome}:${i.reason ?? ''}${manager}${head}:${i.name}`;
      })
      .sort();
  const managerChanges = async (run: RunView): Promise<Item[]> => runItems(env.t, acme, run.id, 'outcome=manager_changed');
  const managers = async (): Promise<Map<string, string | null>> => {
    const rows: Array<{ id: string; manager_id: string | null }> = await env.t.dataSource.query(`SELECT id, manager_id FROM employee WHERE account_id = $1`, [acme.id]);
    return new Map(rows.map((r) => [r.id, r.manager_id]));
  };
  const linkedUser = async (userId: number): Promise<string | null> =>
    (await env.t.dataSource.query(`SELECT employee_id FROM bitrix24_user_link WHERE connection_id = $1 AND bitrix24_user_id = $2`, [connectionId, userId]))[0]?.employee_id ?? null;

  beforeAll(async () => {
    env = await startPortalAndApp({
      people: 400,
      departments: 24,
      seed: 14,
      rateLimit: false,
      // More of the awkward heads than a real portal has, so every case shows up.
      shares: { headDismissed: 0.2, headExtranet: 0.15, departmentWithoutHead: 0.15 },
    });
    // Pages of 64 links: the department phase of both runs crosses page ends.
    env.t.app.get(DepartmentSync).peoplePageSize = 64;
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ removalGuardPercent: 100 }).expect(200);
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('the first import: the preview reports the heads that cannot be set, as the real run then does, and writes nothing', async () => {
    const before = await snapshot();
    const run = await preview();
    expect(run).toMatchObject({ status: 'succeeded', dryRun: true });
    expect(await snapshot()).toEqual(before);
    const previewed = await report(run);
    // Guests and people who left head some departments: their heads stay empty, with the reason.
    expect(previewed.filter((s) => s.includes(':head_unresolved:not_imported')).length).toBeGreaterThan(0);
    expect(previewed.filter((s) => s.includes(':head_unresolved:not_active')).length).toBeGreaterThan(0);

    const real = await synchronize(env.t, acme, connectionId);
    expect(real.counters).toEqual(run.counters);
    expect(await report(real)).toEqual(previewed);
    // Everybody was created: their managers were set, and their "created" items stand for it.
    expect([...(await managers()).values()].filter((m) => m !== null).length).toBeGreaterThan(100);
    expect(real.counters.manager_changed ?? 0).toBe(0);
  });

  it('after head changes, moves, a dismissed head, a new head and a skipped head: the same report as the real run, nothing written', async () => {
    const users = env.sim.users;
    const departments = env.sim.departments;
    const active = (u: Bitrix24User | undefined) => u !== undefined && u.ACTIVE === true && u.USER_TYPE === 'employee';
    const user = (id: unknown) => users.find((u) => u.ID === String(id));
    const firstDepartment = (u: Bitrix24User) => (Array.isArray(u.UF_DEPARTMENT) ? Number(u.UF_DEPARTMENT[0]) : null);
    const linked = async (u: Bitrix24User) => (await linkedUser(Number(u.ID))) !== null;
    // Departments (not the company) whose head is an imported, active employee.
    const headed: Array<{ id: string; head: Bitrix24User }> = [];
    for (const d of departments.slice(1)) {
      const head = user(d.UF_HEAD);
      if (active(head) && (await linked(head!))) headed.push({ id: String(d.ID), head: head! });
    }
    expect(headed.length).toBeGreaterThanOrEqual(4);
    const [changed, dismissed, renewed, skipped] = headed;
    const membersOf = async (departmentId: string) => {
      const out: Bitrix24User[] = [];
      for (const u of users) if (active(u) && firstDepartment(u) === Number(departmentId) && (await linked(u))) out.push(u);
      return out;
    };

    // 1. A new head from the department's own people: its members get them as manager.
    const successor = (await membersOf(changed.id)).find((u) => u.ID !== changed.head.ID);
    expect(successor).toBeDefined();
    env.sim.updateDepartment(changed.id, { UF_HEAD: successor!.ID });
    // 2. A head who leaves: the department has no head (not_active), its members no manager.
    env.sim.dismissUser(dismissed.head.ID);
    // 3. A head hired today: a new employee heads the department (the preview has no id for them).
    const hired = env.sim.addUser({ NAME: 'Hired', LAST_NAME: 'Head', EMAIL: 'hired.head@example.com', UF_DEPARTMENT: [Number(renewed.id)] });
    env.sim.updateDepartment(renewed.id, { UF_HEAD: hired.ID });
    // 4. A head who cannot be imported (no email): not_imported.
    const noEmail = env.sim.addUser({ NAME: 'No', LAST_NAME: 'Email', EMAIL: '', UF_DEPARTMENT: [Number(skipped.id)] });
    env.sim.updateDepartment(skipped.id, { UF_HEAD: noEmail.ID });
    // 5. People moved into another department (their first department decides the manager).
    const movers = users.filter((u) => active(u) && ![changed.id, dismissed.id, renewed.id, skipped.id].includes(String(firstDepartment(u)))).slice(0, 5);
    for (const u of movers) env.sim.updateUser(u.ID as string, { UF_DEPARTMENT: [Number(changed.id), ...(u.UF_DEPARTMENT as number[])] });

    const before = await snapshot();
    const managersBefore = await managers();
    const run = await preview();
    expect(run.status).toBe('succeeded');
    expect(await snapshot()).toEqual(before);
    const previewed = await report(run);
    expect(previewed).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${dismissed.head.ID}:head_unresolved:not_active`)),
        expect.stringMatching(new RegExp(`^${noEmail.ID}:head_unresolved:not_imported`)),
        expect.stringMatching(new RegExp(`^\\d+:manager_changed:→${successor!.ID} from `)),
        expect.stringMatching(new RegExp(`^\\d+:manager_changed:→${hired.ID} from `)),
      ]),
    );
    // The preview cannot name an employee it would create: the new head is known by their Bitrix24 user only.
    const previewManagers = await managerChanges(run);
    expect(previewManagers.filter((i) => i.details?.managerBitrix24UserId === Number(hired.ID)).every((i) => i.details?.managerId === null)).toBe(true);

    const real = await synchronize(env.t, acme, connectionId);
    expect(real.counters).toEqual(run.counters);
    expect(await report(real)).toEqual(previewed);

    // What the report says is what the run wrote: each change, and nobody else's manager moved.
    const after = await managers();
    const reported = await managerChanges(real);
    expect(reported.length).toBeGreaterThanOrEqual(movers.length);
    for (const i of reported) {
      expect(after.get(i.employeeId!)).toBe(i.details?.managerId);
      expect(managersBefore.get(i.employeeId!)).toBe(i.details?.previousManagerId);
    }
    const reportedIds = new Set(reported.map((i) => i.employeeId));
    const silent = [...managersBefore].filter(([id, manager]) => !reportedIds.has(id) && after.get(id) !== manager);
    expect(silent).toEqual([]);
    expect(after.get((await linkedUser(Number(movers[0].ID)))!)).toBe(await linkedUser(Number(successor!.ID)));

    // An unchanged re-sync reports no manager or head again (issue 12: no item rows).
    const again = await synchronize(env.t, acme, connectionId);
    expect(again.counters.manager_changed ?? 0).toBe(0);
    expect(again.counters.head_unresolved ?? 0).toBe(0);
  });

  it('a preview stopped in its department phase starts over when resumed: the report of a clean preview, nothing written', async () => {
    // Another department for a few people, headed by someone else: managers would change.
    const movers = env.sim.users.filter((u) => u.ACTIVE === true && u.USER_TYPE === 'employee' && u.ID !== '1').slice(0, 6);
    env.sim.addDepartment({ ID: '900', NAME: 'Task force', PARENT: '1', UF_HEAD: movers[0].ID });
    for (const u of movers) env.sim.updateUser(u.ID as string, { UF_DEPARTMENT: [900] });
    const clean = await preview();
    const cleanReport = (await runItems(env.t, acme, clean.id)).map((i) => `${i.bitrix24UserId}:${i.outcome}:${i.reason ?? ''}:${JSON.stringify(i.details)}`).sort();
    expect(cleanReport.filter((s) => s.includes(':manager_changed:')).length).toBeGreaterThan(0);

    const before = await snapshot();
    const departmentSync = env.t.app.get(DepartmentSync);
    const previewPeople = departmentSync.previewPeople.bind(departmentSync);
    let calls = 0;
    const spy = jest.spyOn(departmentSync, 'previewPeople').mockImplementation(async (...args) => {
      if (++calls === 1) throw new RunAborted('shutdown');
      return previewPeople(...args);
    });
    try {
      const run = await preview();
      expect(calls).toBe(2);
      const [row] = await env.t.dataSource.query(`SELECT attempt_log FROM sync_run WHERE id = $1`, [run.id]);
      expect(row.attempt_log.map((a: { outcome: string }) => a.outcome)).toEqual(['handed_back', 'succeeded']);
      expect(run.counters).toEqual(clean.counters);
      expect((await runItems(env.t, acme, run.id)).map((i) => `${i.bitrix24UserId}:${i.outcome}:${i.reason ?? ''}:${JSON.stringify(i.details)}`).sort()).toEqual(cleanReport);
    } finally {
      spy.mockRestore();
    }
    expect(await snapshot()).toEqual(before);
  });
});
