import request from 'supertest';
import { bearer, createAccount, createKey, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { employeeByBitrix24Id, runItems, synchronize } from '../support/sync';
import { person } from '../support/people';

describe('manual links: PUT/DELETE /bitrix24/connections/{id}/user-links/{bitrix24UserId}', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;
  let twinA: string;
  let twinB: string;
  const key = () => bearer(acme.ownerKey);
  const base = () => `/api/v1/bitrix24/connections/${connectionId}`;
  const employeeCount = async () => Number((await env.t.dataSource.query(`SELECT count(*)::int AS n FROM employee`))[0].n);

  beforeAll(async () => {
    env = await startPortalAndApp({
      // 1 shares an address with two manual employees (ambiguous_email); 2 and 3 share one address.
      people: [person(1, { EMAIL: 'twin@example.com' }), person(2, { EMAIL: 'same@example.com' }), person(3, { EMAIL: 'same@example.com' }), person(4)],
      departments: [{ ID: '1', NAME: 'Company', PARENT: null, UF_HEAD: '1', SORT: '500' }],
    });
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
    twinA = (await request(env.t.url).post('/api/v1/employees').set(key()).send({ firstName: 'Twin', lastName: 'A', email: 'twin@example.com' }).expect(201)).body.id;
    twinB = (await request(env.t.url).post('/api/v1/employees').set(key()).send({ firstName: 'Twin', lastName: 'B', email: 'twin@example.com' }).expect(201)).body.id;
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('settles ambiguous_email by hand, and the link holds on every later run', async () => {
    const first = await synchronize(env.t, acme, connectionId);
    expect(first.counters.skippedByReason).toMatchObject({ ambiguous_email: 1, email_linked_elsewhere: 1 });

    const res = await request(env.t.url).put(`${base()}/user-links/1`).set(key()).send({ employeeId: twinB }).expect(200);
    expect(res.body).toEqual({ connectionId, bitrix24UserId: 1, employeeId: twinB, state: 'active', matchedBy: 'manual', excluded: false });
    const second = await synchronize(env.t, acme, connectionId);
    expect(second.counters.skippedByReason.ambiguous_email ?? 0).toBe(0);
    expect(await employeeByBitrix24Id(env.t, connectionId, 1)).toMatchObject({ id: twinB, last_name: '(bitrix24) Last1', matched_by: 'manual', source: 'bitrix24' });
    const item = (await runItems(env.t, acme, second.id)).find((i) => i.bitrix24UserId === 1);
    expect(item).toMatchObject({ outcome: 'updated', employeeId: twinB, details: { changedFields: ['firstName', 'lastName', 'departments'], linkedByOwner: true } });
    const third = await synchronize(env.t, acme, connectionId);
    expect(third.counters.skippedByReason.ambiguous_email ?? 0).toBe(0);
    expect(await employeeByBitrix24Id(env.t, connectionId, 1)).toMatchObject({ id: twinB, matched_by: 'manual' });
    // The other twin was never touched.
    expect((await request(env.t.url).get(`/api/v1/employees/${twinA}`).set(key()).expect(200)).body).toMatchObject({ lastName: 'A', source: 'manual' });
  });

  it('settles email_linked_elsewhere with a chosen employee, and refuses one that stands for someone else', async () => {
    const three = await request(env.t.url).post('/api/v1/employees').set(key()).send({ firstName: 'Third', lastName: 'Person' }).expect(201);
    const taken = (await employeeByBitrix24Id(env.t, connectionId, 2))!;
    const refused = await request(env.t.url).put(`${base()}/user-links/3`).set(key()).send({ employeeId: taken.id }).expect(409);
    expect(refused.body.error).toMatchObject({ code: 'employee_linked_elsewhere', details: { bitrix24UserId: 2 } });
    await request(env.t.url).put(`${base()}/user-links/3`).set(key()).send({ employeeId: three.body.id }).expect(200);
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters.skippedByReason.email_linked_elsewhere ?? 0).toBe(0);
    expect(await employeeByBitrix24Id(env.t, connectionId, 3)).toMatchObject({ id: three.body.id, last_name: '(bitrix24) Last3' });
  });

  it('unlinking keeps the employee and keeps the user from being matched until the exclusion is removed', async () => {
    const four = (await employeeByBitrix24Id(env.t, connectionId, 4))!;
    const employees = await employeeCount();
    const res = await request(env.t.url).delete(`${base()}/user-links/4`).set(key()).expect(200);
    expect(res.body).toMatchObject({ bitrix24UserId: 4, employeeId: null, excluded: true });
    const run = await synchronize(env.t, acme, connectionId);
    expect((await runItems(env.t, acme, run.id)).find((i) => i.bitrix24UserId === 4)).toMatchObject({ outcome: 'skipped', reason: 'excluded_by_owner' });
    expect(await employeeByBitrix24Id(env.t, connectionId, 4)).toBeNull();
    expect(await employeeCount()).toBe(employees);
    expect((await request(env.t.url).get(`/api/v1/employees/${four.id}`).set(key()).expect(200)).body.id).toBe(four.id);
    // Who the person is and who excluded them, though no run has seen them since.
    expect((await request(env.t.url).get(`${base()}/user-exclusions`).set(key()).expect(200)).body).toEqual([
      { bitrix24UserId: 4, createdAt: expect.any(String), createdByKeyId: expect.any(String), createdByKeyName: expect.any(String), employeeId: four.id, name: '(bitrix24) Last4 Name4' },
    ]);

    await request(env.t.url).delete(`${base()}/user-exclusions/4`).set(key()).expect(200);
    await request(env.t.url).delete(`${base()}/user-exclusions/4`).set(key()).expect(404);
    await synchronize(env.t, acme, connectionId);
    // Matched automatically again: by email, to the employee it had.
    expect(await employeeByBitrix24Id(env.t, connectionId, 4)).toMatchObject({ id: four.id, matched_by: 'email' });
  });

  it('keeps an audit trail: who did what when, scoped to the account', async () => {
    const res = await request(env.t.url).get('/api/v1/audit-events').set(key()).expect(200);
    expect(res.body.items.map((e: { action: string; bitrix24UserId: number }) => `${e.action}:${e.bitrix24UserId}`)).toEqual(['user_exclusion.removed:4', 'user_link.removed:4', 'user_link.set:3', 'user_link.set:1']);
    expect(res.body.items[3]).toMatchObject({ keyId: expect.any(String), keyName: expect.any(String), keyRole: 'owner', connectionId, employeeId: twinB, details: { previousEmployeeId: null } });
    expect(res.body.items[1]).toMatchObject({ employeeName: '(bitrix24) Last4 Name4', details: { previousMatchedBy: 'created', previousState: 'active' } });
    expect(res.body.items[2]).toMatchObject({ employeeName: '(bitrix24) Last3 Name3' }); // the name now, as the sync since has set it
    expect(res.body.items[0]).toMatchObject({ employeeId: null, employeeName: null });
    const page = await request(env.t.url).get('/api/v1/audit-events?limit=1').set(key()).expect(200);
    const next = await request(env.t.url).get(`/api/v1/audit-events?limit=1&cursor=${page.body.nextCursor}`).set(key()).expect(200);
    expect(next.body.items[0].action).toBe('user_link.removed');
    await request(env.t.url).get('/api/v1/audit-events?cursor=abc').set(key()).expect(400);
    const other = await createAccount(env.t, 'Other');
    expect((await request(env.t.url).get('/api/v1/audit-events').set(bearer(other.ownerKey)).expect(200)).body.items).toEqual([]);
  });

  it('refuses bad input, other accounts and keys without the permission', async () => {
    await request(env.t.url).put(`${base()}/user-links/0`).set(key()).send({ employeeId: twinA }).expect(400);
    await request(env.t.url).put(`${base()}/user-links/abc`).set(key()).send({ employeeId: twinA }).expect(400);
    await request(env.t.url).put(`${base()}/user-links/99999999999`).set(key()).send({ employeeId: twinA }).expect(400);
    await request(env.t.url).put(`${base()}/user-links/1`).set(key()).send({ employeeId: 'nope' }).expect(400);
    const unknown = await request(env.t.url).put(`${base()}/user-links/1`).set(key()).send({ employeeId: '00000000-0000-4000-8000-000000000000' }).expect(404);
    expect(unknown.body.error.code).toBe('employee_not_found');
    const other = await createAccount(env.t, 'Other2');
    const foreign = (await request(env.t.url).post('/api/v1/employees').set(bearer(other.ownerKey)).send({ firstName: 'F', lastName: 'G' }).expect(201)).body.id;
    expect((await request(env.t.url).put(`${base()}/user-links/1`).set(key()).send({ employeeId: foreign }).expect(404)).body.error.code).toBe('employee_not_found');
    expect((await request(env.t.url).put(`${base()}/user-links/1`).set(bearer(other.ownerKey)).send({ employeeId: foreign }).expect(404)).body.error.code).toBe('connection_not_found');
    const viewer = await createKey(env.t, acme, 'viewer');
    await request(env.t.url).delete(`${base()}/user-links/1`).set(bearer(viewer.key)).expect(403);
    expect(await employeeByBitrix24Id(env.t, connectionId, 1)).toMatchObject({ id: twinB });
  });
});
