import request from 'supertest';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { person } from '../support/people';
import { employeeByBitrix24Id, runItems, synchronize } from '../support/sync';

/**
 * Work in proportion to change (issue 12): a re-sync skips the people whose fingerprint is
 * unchanged and writes nothing for them, but whatever changed — on the portal, in the
 * connection's settings or on our side — is planned and applied as a run that skips nobody
 * would (seeds/002: Bitrix24 is the source of a linked employee's fields; phones are imported
 * only for employees without any).
 */
describe('an unchanged re-sync writes nothing, and a change of any kind is still applied (issue 12)', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;

  // Every row version the sync can write, keyed by table and row (xmin changes with every UPDATE).
  const rowVersions = async (): Promise<Record<string, string>> => {
    const rows: Array<{ k: string; x: string }> = await env.t.dataSource.query(
      `SELECT 'employee:' || id AS k, xmin::text AS x FROM employee
       UNION ALL SELECT 'link:' || bitrix24_user_id, xmin::text FROM bitrix24_user_link
       UNION ALL SELECT 'phone:' || employee_id || ':' || position, xmin::text FROM employee_phone
       UNION ALL SELECT 'problem:' || bitrix24_user_id || ':' || kind, xmin::text FROM sync_problem
       UNION ALL SELECT 'department:' || id, xmin::text FROM department
       UNION ALL SELECT 'membership:' || department_id || ':' || employee_id, xmin::text FROM employee_department`,
    );
    return Object.fromEntries(rows.map((r) => [r.k, r.x]));
  };
  const patchConnection = (body: Record<string, unknown>) => request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(acme.ownerKey)).send(body).expect(200);
  const patchEmployee = async (bitrix24UserId: number, body: Record<string, unknown>) => {
    const e = await employeeByBitrix24Id(env.t, connectionId, bitrix24UserId);
    await request(env.t.url).patch(`/api/v1/employees/${e!.id}`).set(bearer(acme.ownerKey)).send(body).expect(200);
  };

  beforeAll(async () => {
    env = await startPortalAndApp({
      people: [
        ...[1, 2, 3, 4, 5, 6, 7].map((id) => person(id, { UF_DEPARTMENT: [id === 1 ? 1 : 2] })),
        person(8, { WORK_PHONE: '+7 495 123-45-67', UF_DEPARTMENT: [2] }),
        person(9, { USER_TYPE: 'extranet', UF_DEPARTMENT: [] }),
        person(10, { LAST_NAME: '' }),
      ],
      departments: [
        { ID: '1', NAME: 'Company', PARENT: null, UF_HEAD: '1', SORT: '500' },
        { ID: '2', NAME: 'Sales', PARENT: '1', UF_HEAD: '2', SORT: '500' },
      ],
    });
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
    await patchConnection({ includeExtranet: true });
    expect((await synchronize(env.t, acme, connectionId)).counters.created).toBe(9);
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('an unchanged re-sync counts everyone and writes no row, no item and no problem', async () => {
    const before = await rowVersions();
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.status).toBe('succeeded');
    expect(run.counters).toMatchObject({ unchanged: 9, skipped: 1, skippedByReason: { missing_last_name: 1 } });
    expect(await runItems(env.t, acme, run.id)).toEqual([]);
    expect(await rowVersions()).toEqual(before);
  });

  it('a field changed on the portal is applied (and only that person is written)', async () => {
    env.sim.updateUser(3, { NAME: 'Renamed' });
    const before = await rowVersions();
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters).toMatchObject({ updated: 1, unchanged: 8 });
    expect((await employeeByBitrix24Id(env.t, connectionId, 3))!.first_name).toBe('Renamed');
    const after = await rowVersions();
    const e3 = (await employeeByBitrix24Id(env.t, connectionId, 3))!.id as string;
    const written = Object.keys(after).filter((k) => after[k] !== before[k]);
    expect(written.sort()).toEqual([`employee:${e3}`, 'link:3'].sort());
  });

  it('an e-mail the owner changed on our side is planned again: Bitrix24 stays the source of a linked employee', async () => {
    await synchronize(env.t, acme, connectionId);
    await patchEmployee(4, { email: 'owner-typed@example.com' });
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters).toMatchObject({ updated: 1, unchanged: 8 });
    const [item] = await runItems(env.t, acme, run.id, 'outcome=updated');
    expect(item).toMatchObject({ bitrix24UserId: 4, details: { changedFields: ['email'] } });
    expect((await employeeByBitrix24Id(env.t, connectionId, 4))!.email).toBe('user4@example.com');
  });

  it('phones the owner removed are imported again from the portal (the employee has none)', async () => {
    expect((await employeeByBitrix24Id(env.t, connectionId, 8))!.phones).toEqual(['74951234567']);
    await synchronize(env.t, acme, connectionId);
    await patchEmployee(8, { phones: [] });
    expect((await employeeByBitrix24Id(env.t, connectionId, 8))!.phones).toEqual([]);
    const run = await synchronize(env.t, acme, connectionId);
    const [item] = await runItems(env.t, acme, run.id, 'outcome=updated');
    expect(item).toMatchObject({ bitrix24UserId: 8, details: { changedFields: ['phones'] } });
    expect((await employeeByBitrix24Id(env.t, connectionId, 8))!.phones).toEqual(['74951234567']);
  });

  it('an employee the owner linked by hand takes the Bitrix24 fields at the next run, reported as the owner’s link', async () => {
    await synchronize(env.t, acme, connectionId);
    const manual = await request(env.t.url).post('/api/v1/employees').set(bearer(acme.ownerKey)).send({ firstName: 'Hand', lastName: 'Picked' }).expect(201);
    await request(env.t.url).put(`/api/v1/bitrix24/connections/${connectionId}/user-links/5`).set(bearer(acme.ownerKey)).send({ employeeId: manual.body.id }).expect(200);
    const run = await synchronize(env.t, acme, connectionId);
    const [item] = await runItems(env.t, acme, run.id, 'outcome=updated');
    expect(item).toMatchObject({ bitrix24UserId: 5, employeeId: manual.body.id, details: expect.objectContaining({ linkedByOwner: true }) });
    const [row] = await env.t.dataSource.query(`SELECT first_name, last_name FROM employee WHERE id = $1`, [manual.body.id]);
    expect(row).toEqual({ first_name: 'Name5', last_name: '(bitrix24) Last5' });
  });

  it('a changed setting plans everyone again: extranet people leave the scope once extranet is off', async () => {
    await synchronize(env.t, acme, connectionId);
    await patchConnection({ includeExtranet: false });
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters.skippedByReason).toEqual({ missing_last_name: 1, out_of_scope: 1 });
    const [item] = await runItems(env.t, acme, run.id, 'outcome=skipped');
    expect(item).toMatchObject({ bitrix24UserId: 9, reason: 'out_of_scope' });
  });

  it('a department’s new head is applied after unchanged runs, and so are its members’ managers', async () => {
    await synchronize(env.t, acme, connectionId);
    const before = await rowVersions();
    await synchronize(env.t, acme, connectionId);
    expect(await rowVersions()).toEqual(before);
    env.sim.updateDepartment(2, { UF_HEAD: '6' });
    await synchronize(env.t, acme, connectionId);
    const e6 = (await employeeByBitrix24Id(env.t, connectionId, 6))!.id;
    const [sales] = await env.t.dataSource.query(`SELECT head_employee_id FROM department WHERE connection_id = $1 AND bitrix24_id = 2`, [connectionId]);
    expect(sales.head_employee_id).toBe(e6);
    expect((await employeeByBitrix24Id(env.t, connectionId, 7))!.manager_id).toBe(e6);
  });

  it('a person moved to another department on the portal moves here too', async () => {
    env.sim.updateUser(7, { UF_DEPARTMENT: [1] });
    await synchronize(env.t, acme, connectionId);
    const e7 = (await employeeByBitrix24Id(env.t, connectionId, 7))!.id;
    const rows = await env.t.dataSource.query(`SELECT d.bitrix24_id FROM employee_department x JOIN department d ON d.id = x.department_id WHERE x.employee_id = $1`, [e7]);
    expect(rows).toEqual([{ bitrix24_id: 1 }]);
    expect((await employeeByBitrix24Id(env.t, connectionId, 7))!.manager_id).toBe((await employeeByBitrix24Id(env.t, connectionId, 1))!.id);
  });
});
