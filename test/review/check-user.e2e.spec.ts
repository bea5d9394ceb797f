import request from 'supertest';
import { bearer, createAccount, createKey, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { employeeByBitrix24Id, runPollerOnce, synchronize, waitForRun } from '../support/sync';
import { person } from '../support/people';

const statuses = (body: { steps: Array<{ step: string; status: string }> }) => body.steps.map((s) => `${s.step}:${s.status}`).join(' ');

describe('POST /bitrix24/connections/{id}/check-user: one person, step by step', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;
  const key = () => bearer(acme.ownerKey);
  const check = (body: Record<string, unknown>) => request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/check-user`).set(key()).send(body);
  const count = async (table: string) => Number((await env.t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n);

  beforeAll(async () => {
    env = await startPortalAndApp({
      people: [person(1), person(2, { EMAIL: '' }), person(3, { NAME: 'Olga', LAST_NAME: 'Smirnova', EMAIL: 'Olga.Smirnova@Example.com', WORK_PHONE: '+7 495 111-22-33' }), person(4, { USER_TYPE: 'extranet', UF_DEPARTMENT: [] })],
      departments: [{ ID: '1', NAME: 'Company', PARENT: null, UF_HEAD: '1', SORT: '500' }],
    });
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('explains a new person with the rules of a run, and writes nothing', async () => {
    const before = { employees: await count('employee'), links: await count('bitrix24_user_link'), runs: await count('sync_run') };
    const res = await check({ bitrix24UserId: 1 }).expect(200);
    expect(statuses(res.body)).toBe('fetched:passed in_scope:passed required_fields:passed match:passed planned_action:passed');
    expect(res.body).toMatchObject({ bitrix24UserId: 1, name: 'Last1 Name1', outcome: 'created', reason: null, employeeId: null, run: null });
    expect(res.body.steps[3].details).toEqual({ kind: 'create' });
    expect(res.body.steps[4].details).toMatchObject({ outcome: 'created', employee: { firstName: 'Name1', lastName: '(bitrix24) Last1', email: 'user1@example.com' } });
    expect({ employees: await count('employee'), links: await count('bitrix24_user_link'), runs: await count('sync_run') }).toEqual(before);
  });

  it('stops at the step that fails, with the run-report reason', async () => {
    const missing = await check({ bitrix24UserId: 2 }).expect(200);
    expect(statuses(missing.body)).toBe('fetched:passed in_scope:passed required_fields:failed match:not_reached planned_action:not_reached');
    expect(missing.body).toMatchObject({ outcome: 'skipped', reason: 'missing_email' });
    const extranet = await check({ bitrix24UserId: 4 }).expect(200);
    expect(statuses(extranet.body)).toBe('fetched:passed in_scope:failed required_fields:not_reached match:not_reached planned_action:not_reached');
    expect(extranet.body.steps[1]).toMatchObject({ reason: 'out_of_scope', details: { userType: 'extranet' } });
    const nobody = await check({ bitrix24UserId: 999 }).expect(200);
    expect(statuses(nobody.body)).toBe('fetched:failed in_scope:not_reached required_fields:not_reached match:not_reached planned_action:not_reached');
    expect(nobody.body).toMatchObject({ outcome: null, reason: 'not_found_on_portal', bitrix24UserId: 999 });
  });

  it('finds a person by email and shows the field changes linking an existing employee would make', async () => {
    const manual = await request(env.t.url).post('/api/v1/employees').set(key()).send({ firstName: 'Olga', lastName: 'Smirnova-Old', email: 'olga.smirnova@example.com' }).expect(201);
    const res = await check({ email: 'OLGA.SMIRNOVA@example.com' }).expect(200);
    expect(res.body).toMatchObject({ bitrix24UserId: 3, outcome: 'linked_by_email', employeeId: manual.body.id });
    expect(res.body.steps[3].details).toEqual({ kind: 'link_by_email', employeeId: manual.body.id });
    expect(res.body.changes).toEqual([
      { field: 'lastName', from: 'Smirnova-Old', to: '(bitrix24) Smirnova' },
      { field: 'phones', from: null, to: '74951112233' },
    ]);
    // Still nothing written: the manual employee is as it was.
    expect((await request(env.t.url).get(`/api/v1/employees/${manual.body.id}`).set(key()).expect(200)).body).toMatchObject({ lastName: 'Smirnova-Old', source: 'manual' });
  });

  it('with apply, imports the person now through an event-style run that the history lists', async () => {
    const res = await check({ bitrix24UserId: 1, apply: true }).expect(200);
    expect(res.body.run).toMatchObject({ trigger: 'event', status: 'queued', bitrix24UserIds: [1] });
    await runPollerOnce(env.t, false);
    const run = await waitForRun(env.t, acme, res.body.run.id);
    expect(run).toMatchObject({ status: 'succeeded', counters: { created: 1 } });
    expect(await employeeByBitrix24Id(env.t, connectionId, 1)).toMatchObject({ last_name: '(bitrix24) Last1', matched_by: 'created' });
    const history = await request(env.t.url).get(`/api/v1/sync-runs?connectionId=${connectionId}`).set(key()).expect(200);
    expect(history.body.items.map((r: { id: string }) => r.id)).toContain(res.body.run.id);
    // Once imported, the same check says the person is linked and unchanged.
    const again = await check({ bitrix24UserId: 1 }).expect(200);
    expect(again.body).toMatchObject({ outcome: 'unchanged', employeeId: expect.any(String) });
    expect(again.body.steps[3].details).toMatchObject({ kind: 'linked', linkState: 'active' });
  });

  it('after a sync, shows an update field by field', async () => {
    await synchronize(env.t, acme, connectionId);
    env.sim.updateUser(1, { LAST_NAME: 'Renamed' });
    const res = await check({ bitrix24UserId: 1 }).expect(200);
    expect(res.body).toMatchObject({ outcome: 'updated', changes: [{ field: 'lastName', from: '(bitrix24) Last1', to: '(bitrix24) Renamed' }] });
  });

  it('refuses a request without exactly one of bitrix24UserId and email, a viewer, and another account', async () => {
    for (const body of [{}, { bitrix24UserId: 1, email: 'user1@example.com' }, { bitrix24UserId: 0 }, { bitrix24UserId: 'x' }, { email: 'not-an-address' }, { bitrix24UserId: 1, apply: 'yes' }]) {
      const res = await check(body).expect(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    const viewer = await createKey(env.t, acme, 'viewer');
    await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/check-user`).set(bearer(viewer.key)).send({ bitrix24UserId: 1 }).expect(403);
    const other = await createAccount(env.t, 'Other');
    const foreign = await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/check-user`).set(bearer(other.ownerKey)).send({ bitrix24UserId: 1 }).expect(404);
    expect(foreign.body.error.code).toBe('connection_not_found');
    await request(env.t.url).post(`/api/v1/bitrix24/connections/not-a-uuid/check-user`).set(key()).send({ bitrix24UserId: 1 }).expect(400);
  });
});
