import request from 'supertest';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { person } from '../support/people';
import { employeeByBitrix24Id, runItems, synchronize } from '../support/sync';

describe('employee import rules against the simulator (seeds/002)', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;
  const key = () => bearer(acme.ownerKey);

  beforeAll(async () => {
    env = await startPortalAndApp({ people: [person(1)], departments: [{ ID: '1', NAME: 'Company', PARENT: null, UF_HEAD: '1', SORT: '500' }] });
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('creates employees with the tagged last name, follows names and email, and skips users missing a required field', async () => {
    env.sim.setUsers([
      person(1, { NAME: 'Иван', LAST_NAME: 'Петров', SECOND_NAME: 'Сергеевич', EMAIL: ' Ivan.Petrov@Example.COM ', UF_PHONE_INNER: '101' }),
      person(2, { LAST_NAME: '' }),
      person(3, { EMAIL: '' }),
      person(4, { EMAIL: 'not-an-address' }),
      person(5, { USER_TYPE: 'extranet', UF_DEPARTMENT: [] }),
      person(6, { LAST_NAME: '(bitrix24) Already' }),
    ]);
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.status).toBe('succeeded');
    expect(run.counters).toMatchObject({ created: 2, skipped: 4 });
    expect(run.counters.skippedByReason).toEqual({ missing_last_name: 1, missing_email: 1, invalid_email: 1, out_of_scope: 1 });
    const ivan = await employeeByBitrix24Id(env.t, connectionId, 1);
    expect(ivan).toMatchObject({ first_name: 'Иван', last_name: '(bitrix24) Петров', middle_name: 'Сергеевич', email: 'ivan.petrov@example.com', extension: '101', source: 'bitrix24', matched_by: 'created', link_state: 'active' });
    expect(await employeeByBitrix24Id(env.t, connectionId, 6)).toMatchObject({ last_name: '(bitrix24) Already' });
    const skipped = await runItems(env.t, acme, run.id, 'outcome=skipped');
    expect(skipped.map((i) => [i.bitrix24UserId, i.reason]).sort()).toEqual([
      [2, 'missing_last_name'],
      [3, 'missing_email'],
      [4, 'invalid_email'],
      [5, 'out_of_scope'],
    ]);
    expect(skipped.find((i) => i.bitrix24UserId === 3)?.name).toBe('Last3 Name3');
  });

  it('imports extranet users when the connection says so', async () => {
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ includeExtranet: true }).expect(200);
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters.created).toBe(1);
    expect(await employeeByBitrix24Id(env.t, connectionId, 5)).not.toBeNull();
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ includeExtranet: false }).expect(200);
  });

  it('running the same sync ten times creates nothing after the first and writes no employee rows', async () => {
    const [{ n: before }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM employee`);
    const snapshot = await env.t.dataSource.query(`SELECT id, xmin::text AS version FROM employee ORDER BY id`);
    for (let i = 0; i < 10; i++) {
      const run = await synchronize(env.t, acme, connectionId);
      expect(run.status).toBe('succeeded');
      expect(run.counters.created + run.counters.updated + run.counters.linked_by_email).toBe(0);
    }
    const [{ n: after }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM employee`);
    expect(after).toBe(before);
    expect(await env.t.dataSource.query(`SELECT id, xmin::text AS version FROM employee ORDER BY id`)).toEqual(snapshot);
  });

  it('an email change in Bitrix24 updates the employee, never creates another', async () => {
    const before = await employeeByBitrix24Id(env.t, connectionId, 1);
    env.sim.updateUser(1, { EMAIL: 'ivan.new@example.com' });
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters).toMatchObject({ created: 0, updated: 1 });
    const after = await employeeByBitrix24Id(env.t, connectionId, 1);
    expect(after).toMatchObject({ id: before!.id, email: 'ivan.new@example.com' });
    const updated = await runItems(env.t, acme, run.id, 'outcome=updated');
    expect(updated[0].details).toEqual({ changedFields: ['email'] });
  });

  it('links an existing employee by email (trimmed, any case) and tags its last name', async () => {
    const manual = await request(env.t.url).post('/api/v1/employees').set(key()).send({ firstName: 'Mary', lastName: 'Smith', email: 'MARY.SMITH@example.com', phones: ['+1 212 555 0100'] }).expect(201);
    env.sim.setUsers([...env.sim.users, person(20, { NAME: 'Maria', LAST_NAME: 'Smith', EMAIL: ' mary.smith@EXAMPLE.com', WORK_PHONE: '+7 495 000 00 00' })]);
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters).toMatchObject({ linked_by_email: 1, created: 0 });
    const linked = await employeeByBitrix24Id(env.t, connectionId, 20);
    expect(linked).toMatchObject({ id: manual.body.id, matched_by: 'email', last_name: '(bitrix24) Smith', first_name: 'Maria', source: 'bitrix24' });
    // It already had a number: the Bitrix24 numbers are not added.
    expect(linked!.phones).toEqual(['12125550100']);
  });

  it('an existing responsible employee linked by email to a user who has already left is taken off the list', async () => {
    const manual = await request(env.t.url).post('/api/v1/employees').set(key()).send({ firstName: 'Gone', lastName: 'Already', email: 'gone@example.com' }).expect(201);
    await request(env.t.url).post(`/api/v1/responsible-employees/${manual.body.id}`).set(key()).expect(200);
    env.sim.setUsers([...env.sim.users, person(25, { NAME: 'Gone', LAST_NAME: 'Already', EMAIL: 'gone@example.com', ACTIVE: false })]);
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters).toMatchObject({ linked_by_email: 1, removed_from_responsible: 1 });
    expect(await employeeByBitrix24Id(env.t, connectionId, 25)).toMatchObject({ id: manual.body.id, link_state: 'dismissed', responsible: false });
  });

  it('two employees sharing an email: skipped as ambiguous_email, nobody guessed', async () => {
    for (const name of ['One', 'Two']) {
      await request(env.t.url).post('/api/v1/employees').set(key()).send({ firstName: name, lastName: 'Shared', email: 'shared@example.com' }).expect(201);
    }
    env.sim.setUsers([...env.sim.users, person(30, { EMAIL: 'shared@example.com' })]);
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters.skippedByReason).toMatchObject({ ambiguous_email: 1 });
    expect(await employeeByBitrix24Id(env.t, connectionId, 30)).toBeNull();
    const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM employee WHERE email_normalized = 'shared@example.com'`);
    expect(n).toBe(2);
  });

  it('two Bitrix24 users sharing one mailbox: the first is imported, the second skipped as email_linked_elsewhere', async () => {
    env.sim.setUsers([...env.sim.users, person(40, { EMAIL: 'office@example.com' }), person(41, { EMAIL: 'Office@example.com' })]);
    const run = await synchronize(env.t, acme, connectionId);
    expect(await employeeByBitrix24Id(env.t, connectionId, 40)).not.toBeNull();
    expect(await employeeByBitrix24Id(env.t, connectionId, 41)).toBeNull();
    const skipped = await runItems(env.t, acme, run.id, 'reason=email_linked_elsewhere');
    expect(skipped.map((i) => i.bitrix24UserId)).toEqual([41]);
    // Still skipped on the next run (counted), but the problem is not new: no second item (issue 12).
    const again = await synchronize(env.t, acme, connectionId);
    expect(again.counters.skippedByReason).toMatchObject({ email_linked_elsewhere: 1 });
    expect(await runItems(env.t, acme, again.id, 'reason=email_linked_elsewhere')).toEqual([]);
    const problems = (await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}/problems?reason=email_linked_elsewhere`).set(key()).expect(200)).body.items;
    expect(problems.map((p: { bitrix24UserId: number; details: unknown }) => [p.bitrix24UserId, p.details])).toEqual([[41, { bitrix24UserId: 40 }]]);
  });

  it.each([
    ['+7 (495) 123-45-67', '', '', ['74951234567']],
    ['8 916 123 45 67 доб. 12', '', '', ['79161234567']],
    ['8 (495) 123-45-67', '+7 916 123 45 67 ext 5', '', ['74951234567', '79161234567']],
    ['84951234567', '84951234567', '+1 212 555 0100', ['74951234567', '12125550100']],
    ['', '   ', '', []],
    ['нет', '', '8 (812) 555-44-33', ['78125554433']],
  ])('phones %j / %j / %j → %j (work, mobile, landline; digits only)', async (work, mobile, landline, expected) => {
    const id = 100 + Math.floor(Math.random() * 100_000);
    env.sim.setUsers([...env.sim.users, person(id, { WORK_PHONE: work, PERSONAL_MOBILE: mobile, PERSONAL_PHONE: landline })]);
    const run = await synchronize(env.t, acme, connectionId);
    expect((await employeeByBitrix24Id(env.t, connectionId, id))!.phones).toEqual(expected);
    const rejected = await runItems(env.t, acme, run.id, 'outcome=phone_rejected');
    expect(rejected.filter((i) => i.bitrix24UserId === id).map((i) => i.details?.value)).toEqual(work === 'нет' ? ['нет'] : []);
  });

  it('adds numbers only to an employee that has none', async () => {
    env.sim.setUsers([...env.sim.users, person(50, { WORK_PHONE: '' })]);
    await synchronize(env.t, acme, connectionId);
    expect((await employeeByBitrix24Id(env.t, connectionId, 50))!.phones).toEqual([]);
    env.sim.updateUser(50, { WORK_PHONE: '+7 495 765 43 21' });
    const run = await synchronize(env.t, acme, connectionId);
    expect((await employeeByBitrix24Id(env.t, connectionId, 50))!.phones).toEqual(['74957654321']);
    expect((await runItems(env.t, acme, run.id, 'outcome=updated')).find((i) => i.bitrix24UserId === 50)?.details).toEqual({ changedFields: ['phones'] });
    env.sim.updateUser(50, { WORK_PHONE: '+7 495 000 11 22' });
    await synchronize(env.t, acme, connectionId);
    expect((await employeeByBitrix24Id(env.t, connectionId, 50))!.phones).toEqual(['74957654321']);
  });

  it('keeps each employee’s Bitrix24 department ids and imports the department tree', async () => {
    env.sim.setDepartments([
      { ID: '1', NAME: 'Company', PARENT: null, UF_HEAD: '1', SORT: '500' },
      { ID: '7', NAME: 'Sales', PARENT: '1', UF_HEAD: '60', SORT: '100' },
    ]);
    env.sim.setUsers([...env.sim.users, person(60, { UF_DEPARTMENT: [7, 1] })]);
    await synchronize(env.t, acme, connectionId);
    expect((await employeeByBitrix24Id(env.t, connectionId, 60))!.department_ids).toEqual([7, 1]); // Bitrix24 order: the first decides the manager
    const departments = await env.t.dataSource.query(`SELECT bitrix24_id, name, parent_id, head_bitrix24_user_id FROM bitrix24_department WHERE connection_id = $1 ORDER BY bitrix24_id`, [connectionId]);
    expect(departments).toEqual([
      { bitrix24_id: 1, name: 'Company', parent_id: null, head_bitrix24_user_id: 1 },
      { bitrix24_id: 7, name: 'Sales', parent_id: 1, head_bitrix24_user_id: 60 },
    ]);
    const employee = await employeeByBitrix24Id(env.t, connectionId, 60);
    const api = await request(env.t.url).get(`/api/v1/employees/${employee!.id}`).set(key()).expect(200);
    expect(api.body.departments.map((d: { name: string }) => d.name)).toEqual(['Sales', 'Company']);
    expect(api.body.bitrix24Links[0]).toMatchObject({ connectionId, bitrix24UserId: 60, state: 'active', matchedBy: 'created' });
  });

  it('on-premise portals also require a department', async () => {
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ edition: 'on_premise' }).expect(200);
    env.sim.setUsers([...env.sim.users, person(70, { UF_DEPARTMENT: [] })]);
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters.skippedByReason).toMatchObject({ missing_department: 1 });
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ edition: 'cloud' }).expect(200);
    const cloud = await synchronize(env.t, acme, connectionId);
    expect(cloud.counters.created).toBe(1);
  });

  it('pressing Synchronize twice returns the run already queued', async () => {
    const a = await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(key()).expect(202);
    const b = await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(key()).expect(202);
    expect(b.body.id).toBe(a.body.id);
    expect(['queued', 'running']).toContain(b.body.status);
    await synchronize(env.t, acme, connectionId);
  });
});
