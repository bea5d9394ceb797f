import { Client } from 'pg';
import request from 'supertest';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { person } from '../support/people';
import { runPollerOnce, waitForRun } from '../support/sync';
import { directorySnapshot } from '../support/directory-snapshot';
import { comparableReport, lockTable, waitUntil } from '../support/twin-portals';
import { SyncWorker } from '../../src/sync/sync-worker.service';
import { PortalSimulator } from '../simulator/portal-simulator';

/**
 * Work in proportion to change (issue 12), the oracle: one portal history, synced by a
 * `subject` that skips whatever its fingerprints say is unchanged and by a `reference`
 * whose fingerprints (users' and the department phase's) are cleared before every run, so
 * it plans everything from scratch. After every run both must hold the same directory
 * (employees, phones, links and their states, exclusions, the responsible list,
 * departments with heads, supervisors and managers, standing problems) and report the same
 * counters and items. Every owner action and portal change is applied to both the same way.
 */
jest.setTimeout(120_000);

interface Side {
  env: PortalAndApp;
  account: TestAccount;
  connectionId: string;
  /** A second portal of the same account (webhook), once connected. */
  second?: { sim: PortalSimulator; connectionId: string };
}

const PEOPLE = [
  person(1, { UF_DEPARTMENT: [1] }),
  person(2, { UF_DEPARTMENT: [2] }),
  person(3, { UF_DEPARTMENT: [3] }),
  ...[4, 5, 6, 7].map((id) => person(id, { UF_DEPARTMENT: [2] })),
  person(8, { WORK_PHONE: '+7 495 123-45-67', UF_DEPARTMENT: [3] }),
  // A standing phone_rejected problem: the only number is not one (the employee has none).
  person(9, { WORK_PHONE: 'call me maybe', UF_DEPARTMENT: [3] }),
  // A standing invalid_email problem.
  person(10, { EMAIL: 'not-an-address', UF_DEPARTMENT: [3] }),
  // Ambiguous until the owner edits one of the two employees holding the address.
  person(11, { EMAIL: 'Shared@Example.com', UF_DEPARTMENT: [2] }),
  person(12, { USER_TYPE: 'extranet', UF_DEPARTMENT: [] }),
  // A rejected number next to an imported one.
  person(13, { WORK_PHONE: '8 (495) 765-43-21', PERSONAL_MOBILE: 'n/a', UF_DEPARTMENT: [3] }),
];
const DEPARTMENTS = [
  { ID: '1', NAME: 'Company', PARENT: null, UF_HEAD: '1', SORT: '500' },
  { ID: '2', NAME: 'Sales', PARENT: '1', UF_HEAD: '2', SORT: '500' },
  { ID: '3', NAME: 'Support', PARENT: '1', UF_HEAD: '3', SORT: '500' },
];

async function startSide(): Promise<Side> {
  const env = await startPortalAndApp({ people: 0, departments: DEPARTMENTS });
  env.sim.setUsers(PEOPLE.map((p) => ({ ...p })));
  const account = await createAccount(env.t, 'Acme');
  const connectionId = await connectPortal(env.t, account, env.sim);
  return { env, account, connectionId };
}

const sql = (side: Side) => (text: string) => side.env.t.dataSource.query(text);

type Portal = (side: Side) => string;
const first: Portal = (side) => side.connectionId;
const second: Portal = (side) => side.second!.connectionId;

describe('a re-sync that skips what its fingerprints call unchanged ends where a run planned from scratch ends (issue 12)', () => {
  let reference: Side;
  let subject: Side;
  const sides = () => [reference, subject];

  /** The same change on both portals. */
  const onPortals = (apply: (sim: PortalSimulator) => void) => sides().forEach((s) => apply(s.env.sim));
  const api = (side: Side) => ({
    get: (path: string) => request(side.env.t.url).get(path).set(bearer(side.account.ownerKey)),
    post: (path: string) => request(side.env.t.url).post(path).set(bearer(side.account.ownerKey)),
    put: (path: string) => request(side.env.t.url).put(path).set(bearer(side.account.ownerKey)),
    patch: (path: string) => request(side.env.t.url).patch(path).set(bearer(side.account.ownerKey)),
    delete: (path: string) => request(side.env.t.url).delete(path).set(bearer(side.account.ownerKey)),
  });
  const employeeOf = async (side: Side, bitrix24UserId: number): Promise<string> =>
    (await side.env.t.dataSource.query(`SELECT employee_id FROM bitrix24_user_link WHERE connection_id = $1 AND bitrix24_user_id = $2`, [side.connectionId, bitrix24UserId]))[0].employee_id;
  const manualEmployee = async (side: Side, lastName: string): Promise<string> => (await side.env.t.dataSource.query(`SELECT id FROM employee WHERE last_name = $1`, [lastName]))[0].id;
  /** The same owner action through each side's API. */
  const asOwner = async (act: (side: Side) => Promise<unknown>) => {
    for (const side of sides()) await act(side);
  };
  const patchConnection = (body: Record<string, unknown>) => (s: Side) => api(s).patch(`/api/v1/bitrix24/connections/${s.connectionId}`).send(body).expect(200);

  /**
   * The run `act` queued (a settings change queues one and wakes the worker), else a new
   * one, run to its end in this process.
   */
  const runOn = async (side: Side, act?: (side: Side) => Promise<unknown>, portal: Portal = first): Promise<string> => {
    const connectionId = portal(side);
    const runIds = async (): Promise<string[]> => (await side.env.t.dataSource.query(`SELECT id FROM sync_run WHERE connection_id = $1`, [connectionId])).map((r: { id: string }) => r.id);
    const known = await runIds();
    if (act) await act(side);
    const worker = side.env.t.app.get(SyncWorker);
    await worker.idle();
    const queued = (await runIds()).find((id) => !known.includes(id));
    const runId: string = queued ?? (await api(side).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).expect(202)).body.id;
    await worker.idle();
    await runPollerOnce(side.env.t, false);
    await waitForRun(side.env.t, side.account, runId);
    return runId;
  };
  const forgetFingerprints = async () => {
    await reference.env.t.dataSource.query(`UPDATE bitrix24_user_link SET fingerprint = NULL`);
    await reference.env.t.dataSource.query(`UPDATE bitrix24_connection SET people_derived_from = NULL`);
  };
  /**
   * One run on each side (after `act`, the same owner action on both, when given); both end
   * in the same directory with the same report. Returns the subject's report.
   */
  const syncBoth = async (act?: (side: Side) => Promise<unknown>, portal: Portal = first) => {
    await forgetFingerprints();
    const expected = await comparableReport(reference.env.t, reference.account, await runOn(reference, act, portal));
    const report = await comparableReport(subject.env.t, subject.account, await runOn(subject, act, portal));
    expect(report).toEqual(expected);
    expect(await directorySnapshot(sql(subject), subject.connectionId)).toEqual(await directorySnapshot(sql(reference), reference.connectionId));
    return report;
  };

  beforeAll(async () => {
    [reference, subject] = [await startSide(), await startSide()];
    // Two employees hold user 11's address: ambiguous_email until one of them changes.
    await asOwner(async (s) => {
      for (const lastName of ['Holder-A', 'Holder-B']) await api(s).post('/api/v1/employees').send({ firstName: 'Shared', lastName, email: 'shared@example.com' }).expect(201);
    });
    const first = await syncBoth();
    expect(first.counters).toMatchObject({ created: 10, skippedByReason: { invalid_email: 1, ambiguous_email: 1, out_of_scope: 1 } });
  });
  afterAll(async () => {
    for (const side of [reference, subject]) {
      await side?.env.t.close();
      await side?.env.sim.stop();
      await side?.second?.sim.stop();
    }
  });

  it('unchanged runs skip everyone settled, and the standing problems stay listed', async () => {
    for (let i = 0; i < 2; i++) {
      const report = await syncBoth();
      expect(report.items.filter((item) => !item.includes('|skipped|') && !item.includes('|phone_rejected|'))).toEqual([]);
    }
    const problems = (await api(subject).get(`/api/v1/bitrix24/connections/${subject.connectionId}/problems`).expect(200)).body.items;
    expect(problems.map((p: { bitrix24UserId: number; kind: string }) => `${p.bitrix24UserId}:${p.kind}`).sort()).toEqual(['10:skipped', '11:skipped', '12:skipped', '9:phone_rejected']);
    // The settled users were skipped without being planned: their fingerprints are kept.
    const [{ settled }] = await subject.env.t.dataSource.query(`SELECT count(*)::int AS settled FROM bitrix24_user_link WHERE fingerprint IS NOT NULL`);
    expect(settled).toBeGreaterThanOrEqual(9);
  });

  it('the owner’s edits of names, e-mail and phones are put back from Bitrix24; phones added to a settled employee stay', async () => {
    await asOwner(async (s) => {
      await api(s).patch(`/api/v1/employees/${await employeeOf(s, 4)}`).send({ firstName: 'Owner', email: 'typed@example.com', phones: ['+1 212 555 0100'] }).expect(200);
      await api(s).patch(`/api/v1/employees/${await employeeOf(s, 8)}`).send({ phones: [] }).expect(200);
      await api(s).patch(`/api/v1/employees/${await employeeOf(s, 5)}`).send({ extension: '77' }).expect(200);
      // Employees are never deleted (deactivate instead): the refusal changes nothing either side.
      await api(s).delete(`/api/v1/employees/${await employeeOf(s, 6)}`).expect(405);
    });
    const report = await syncBoth();
    // The extension only fills an empty one (seeds/002 item 4): the owner's stays.
    expect(report.counters).toMatchObject({ updated: 2 });
  });

  it('a phone the owner gives an employee with a rejected number fixes that problem', async () => {
    await asOwner(async (s) => api(s).patch(`/api/v1/employees/${await employeeOf(s, 9)}`).send({ phones: ['+7 495 000-00-09'] }).expect(200));
    await syncBoth();
    const problems = (await api(subject).get(`/api/v1/bitrix24/connections/${subject.connectionId}/problems?kind=phone_rejected`).expect(200)).body.items;
    expect(problems).toEqual([]);
  });

  it('deactivation and the responsible list: a dismissal in Bitrix24 still takes a settled person off the list', async () => {
    await asOwner(async (s) => {
      await api(s).post(`/api/v1/employees/${await employeeOf(s, 5)}/deactivate`).expect(200);
      await api(s).put('/api/v1/responsible-employees').send({ employeeIds: [await employeeOf(s, 6), await employeeOf(s, 7)] }).expect(200);
    });
    await syncBoth();
    onPortals((sim) => sim.dismissUser(6));
    const report = await syncBoth();
    expect(report.counters).toMatchObject({ dismissed: 1, removed_from_responsible: 1 });
    // The owner may put a dismissed person back by hand (bulk adds leave them out): no run takes them off again, skipped or not.
    await asOwner(async (s) => {
      await api(s).post(`/api/v1/responsible-employees/${await employeeOf(s, 6)}`).expect(200);
      await api(s).delete(`/api/v1/responsible-employees/${await employeeOf(s, 7)}`).expect(200);
    });
    await syncBoth();
    await syncBoth();
    const [six] = await subject.env.t.dataSource.query(`SELECT EXISTS (SELECT 1 FROM responsible_employee WHERE employee_id = $1) AS listed`, [await employeeOf(subject, 6)]);
    expect(six.listed).toBe(true);
    onPortals((sim) => sim.updateUser(6, { ACTIVE: true }));
    expect((await syncBoth()).counters).toMatchObject({ reactivated: 1 });
  });

  it('a user skipped as ambiguous imports once the owner edits one of the employees holding the address; the problem clears', async () => {
    await asOwner(async (s) => api(s).patch(`/api/v1/employees/${await manualEmployee(s, 'Holder-B')}`).send({ email: 'b@example.com' }).expect(200));
    const report = await syncBoth();
    expect(report.counters).toMatchObject({ linked_by_email: 1 });
    const problems = (await api(subject).get(`/api/v1/bitrix24/connections/${subject.connectionId}/problems?reason=ambiguous_email`).expect(200)).body.items;
    expect(problems).toEqual([]);
    await syncBoth();
  });

  it('the owner’s manual link, unlink (exclusion) and lifted exclusion', async () => {
    await asOwner(async (s) => {
      const hand = (await api(s).post('/api/v1/employees').send({ firstName: 'Hand', lastName: 'Picked' }).expect(201)).body.id;
      await api(s).put(`/api/v1/bitrix24/connections/${s.connectionId}/user-links/7`).send({ employeeId: hand }).expect(200);
      await api(s).delete(`/api/v1/bitrix24/connections/${s.connectionId}/user-links/4`).expect(200);
    });
    await syncBoth();
    await syncBoth();
    await asOwner(async (s) => api(s).delete(`/api/v1/bitrix24/connections/${s.connectionId}/user-exclusions/4`).expect(200));
    await syncBoth();
    await syncBoth();
  });

  it('settings: phone country, extranet, sync managers off and on', async () => {
    onPortals((sim) => sim.addUser({ ID: '14', NAME: 'Local', LAST_NAME: 'Number', EMAIL: 'local@example.com', WORK_PHONE: '(212) 555-0199', UF_DEPARTMENT: [3], ACTIVE: true, USER_TYPE: 'employee' }));
    await syncBoth();
    await syncBoth(patchConnection({ defaultCountry: 'US' }));
    await syncBoth(patchConnection({ includeExtranet: true }));
    await syncBoth(patchConnection({ syncManagers: false }));
    await syncBoth(patchConnection({ syncManagers: true }));
    await syncBoth();
  });

  it('departments: a selection, a department moved out of it and back in Bitrix24, a head changed with no user change', async () => {
    await syncBoth(patchConnection({ removalGuardPercent: 100, departmentScope: { mode: 'selected', bitrix24DepartmentIds: [2], includeNewDepartments: false } }));
    onPortals((sim) => sim.updateDepartment(3, { PARENT: '2' }));
    await syncBoth();
    onPortals((sim) => sim.updateDepartment(3, { PARENT: '1' }));
    await syncBoth();
    onPortals((sim) => sim.updateDepartment(2, { UF_HEAD: '5' }));
    await syncBoth();
    await syncBoth(patchConnection({ departmentScope: { mode: 'all' } }));
    await syncBoth();
  });

  // A run plans the user again (moved department, the employee unchanged) and writes their link; the owner's edit lands in between.
  it.each<[string, number, Record<string, unknown>]>([
    ['an e-mail', 3, { email: 'typed-mid-run@example.com' }],
    ['phones removed', 8, { phones: [] }],
  ])('%s the owner commits while a run is between reading the employee and writing its link is still undone by the next run', async (_label, bitrix24UserId, body) => {
    onPortals((sim) => sim.updateUser(bitrix24UserId, { UF_DEPARTMENT: [2] }));
    await forgetFingerprints();
    const expectedMove = await comparableReport(reference.env.t, reference.account, await runOn(reference));
    const edit = async (s: Side) => api(s).patch(`/api/v1/employees/${await employeeOf(s, bitrix24UserId)}`).send(body).expect(200);

    // The subject's run is caught after planning the page, at its first write (the run's checkpoint), and the owner's edit lands then.
    const db = subject.env.t.dataSource;
    // Slow answers keep the run in its export (a second or more) while the lock is taken.
    subject.env.sim.faults.slow(1000);
    const runId: string = (await api(subject).post(`/api/v1/bitrix24/connections/${subject.connectionId}/sync`).expect(202)).body.id;
    // The request wakes the worker; the poller's tick would claim the run otherwise.
    const running = runPollerOnce(subject.env.t, false);
    await waitUntil(async () => (await db.query(`SELECT status FROM sync_run WHERE id = $1`, [runId]))[0].status === 'running', 'the run to start');
    const lockClient = new Client({ connectionString: subject.env.t.database.url });
    await lockClient.connect();
    const lock = await lockTable(lockClient, subject.env.t.database.url!, 'sync_run');
    await waitUntil(
      async () => (await lockClient.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE sync_run SET processed%'`)).rows[0].n > 0,
      'the page’s checkpoint to wait on the lock',
    );
    subject.env.sim.faults.slow(0);
    await edit(subject);
    await lock.release();
    await running;
    await lockClient.end();
    expect(await comparableReport(subject.env.t, subject.account, (await waitForRun(subject.env.t, subject.account, runId)).id)).toEqual(expectedMove);

    // The reference plans from scratch: its next run puts Bitrix24's value back. So must the subject's.
    await edit(reference);
    const report = await syncBoth();
    expect(report.counters).toMatchObject({ updated: 1 });
    await syncBoth();
  });

  it('a second portal linked to the same employee changes it: each portal’s next run is planned, as from scratch', async () => {
    for (const side of sides()) {
      const sim = await PortalSimulator.start({ people: 0, departments: [{ ID: '1', NAME: 'Logistics', PARENT: null, UF_HEAD: '5', SORT: '500' }] });
      // User 6 there is user 2 here (same address), under another name.
      sim.setUsers([person(5, { EMAIL: 'boss@logistics.example' }), person(6, { NAME: 'Other', LAST_NAME: 'Spelling', EMAIL: 'user2@example.com' })]);
      sim.setAdmin(5);
      const res = await api(side).post('/api/v1/bitrix24/connections').send({ webhookUrl: sim.createWebhook({ scope: ['user', 'department'], userId: 5 }), edition: 'cloud' }).expect(201);
      side.second = { sim, connectionId: res.body.id };
    }
    expect((await syncBoth(undefined, second)).counters).toMatchObject({ created: 1, linked_by_email: 1 });
    // The first portal's run finds its employee changed by the other portal's and puts its own fields back; and so on.
    expect((await syncBoth()).counters).toMatchObject({ updated: 1 });
    expect((await syncBoth(undefined, second)).counters).toMatchObject({ updated: 1 });
    sides().forEach((s) => s.second!.sim.updateUser(6, { UF_DEPARTMENT: [] }));
    await syncBoth(undefined, second);
    await syncBoth();
    await syncBoth();
  });
});
