import request from 'supertest';
import { bearer, createAccount, createKey, TestAccount } from '../support/accounts';
import { startTestApp, TestApp } from '../support/test-app';

describe('employees API', () => {
  let t: TestApp;
  let acme: TestAccount;
  let other: TestAccount;

  beforeAll(async () => {
    t = await startTestApp();
    acme = await createAccount(t, 'Acme');
    other = await createAccount(t, 'Other');
  });
  afterAll(async () => {
    await t.close();
  });

  const create = (account: TestAccount, body: Record<string, unknown>) =>
    request(t.url).post('/api/v1/employees').set(bearer(account.ownerKey)).send(body);

  it('creates a manual employee with digits-only phones in order', async () => {
    const res = await create(acme, { firstName: 'Anna', lastName: 'Smirnova', email: 'Anna@Example.com', phones: ['+7 (495) 123-45-67', '8 916 000-00-01', '+7 (495) 123-45-67'], extension: '101' }).expect(201);
    expect(res.body).toMatchObject({ firstName: 'Anna', lastName: 'Smirnova', source: 'manual', active: true, responsible: false, extension: '101' });
    expect(res.body.phones).toEqual([
      { number: '74951234567', source: 'manual' },
      { number: '89160000001', source: 'manual' },
    ]);
    const got = await request(t.url).get(`/api/v1/employees/${res.body.id}`).set(bearer(acme.ownerKey)).expect(200);
    expect(got.body.phones.map((p: { number: string }) => p.number)).toEqual(['74951234567', '89160000001']);
    expect(got.body.bitrix24Links).toEqual([]);
  });

  it('edits, deactivates (leaving the responsible list) and activates', async () => {
    const { body: e } = await create(acme, { firstName: 'Oleg', lastName: 'Kuznetsov' }).expect(201);
    await request(t.url).post(`/api/v1/responsible-employees/${e.id}`).set(bearer(acme.ownerKey)).expect(200);
    const patched = await request(t.url).patch(`/api/v1/employees/${e.id}`).set(bearer(acme.ownerKey)).send({ middleName: 'Ivanovich', phones: ['123-45'] }).expect(200);
    expect(patched.body).toMatchObject({ middleName: 'Ivanovich', responsible: true, phones: [{ number: '12345', source: 'manual' }] });
    const off = await request(t.url).post(`/api/v1/employees/${e.id}/deactivate`).set(bearer(acme.ownerKey)).expect(200);
    expect(off.body).toMatchObject({ active: false, responsible: false });
    expect(off.body.deactivatedAt).not.toBeNull();
    const on = await request(t.url).post(`/api/v1/employees/${e.id}/activate`).set(bearer(acme.ownerKey)).expect(200);
    expect(on.body).toMatchObject({ active: true, deactivatedAt: null, responsible: false });
  });

  it('never deletes: DELETE is 405, and the database itself refuses', async () => {
    const { body: e } = await create(acme, { firstName: 'Keep', lastName: 'Me' }).expect(201);
    const res = await request(t.url).delete(`/api/v1/employees/${e.id}`).set(bearer(acme.ownerKey)).expect(405);
    expect(res.body.error.code).toBe('employees_are_never_deleted');
    await expect(t.dataSource.query(`DELETE FROM employee WHERE id = $1`, [e.id])).rejects.toThrow(/never deleted/);
    await expect(t.dataSource.query(`TRUNCATE employee CASCADE`)).rejects.toThrow(/never deleted/);
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM employee WHERE id = $1`, [e.id]);
    expect(n).toBe(1);
  });

  it('filters by source, active, responsible and q (name, email, phone digits)', async () => {
    const account = await createAccount(t, 'Filters');
    const a = (await request(t.url).post('/api/v1/employees').set(bearer(account.ownerKey)).send({ firstName: 'Пётр', lastName: 'Иванов', email: 'petr@corp.ru', phones: ['+7 912 345 67 89'] }).expect(201)).body;
    const b = (await request(t.url).post('/api/v1/employees').set(bearer(account.ownerKey)).send({ firstName: 'John', lastName: 'Doe', email: 'john@corp.com' }).expect(201)).body;
    await request(t.url).post(`/api/v1/employees/${b.id}/deactivate`).set(bearer(account.ownerKey)).expect(200);
    await request(t.url).post(`/api/v1/responsible-employees/${a.id}`).set(bearer(account.ownerKey)).expect(200);
    const ids = async (query: string) =>
      (await request(t.url).get(`/api/v1/employees?${query}`).set(bearer(account.ownerKey)).expect(200)).body.items.map((e: { id: string }) => e.id);
    expect(await ids('q=иван')).toEqual([a.id]);
    expect(await ids('q=JOHN%40corp')).toEqual([b.id]);
    expect(await ids('q=3456789')).toEqual([a.id]);
    expect(await ids('active=false')).toEqual([b.id]);
    expect(await ids('responsible=true')).toEqual([a.id]);
    expect(await ids('source=bitrix24')).toEqual([]);
    expect((await ids('bitrix24State=unlinked')).sort()).toEqual([a.id, b.id].sort());
    expect(await ids('q=%25')).toEqual([]);
  });

  it('rejects malformed bodies and queries with 400 and stores nothing', async () => {
    const [{ n: before }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM employee`);
    const bad = [
      { firstName: 5, lastName: 'X' },
      { firstName: 'A' },
      { firstName: 'A', lastName: 'B', phones: ['call me'] },
      { firstName: 'A', lastName: 'B', phones: '123' },
      { firstName: 'A', lastName: 'B', email: 'not-an-email' },
      { firstName: 'A', lastName: 'B', extension: '12a' },
      { firstName: 'x'.repeat(5000), lastName: 'B' },
      { firstName: 'A', lastName: 'B', role: 'admin' },
      { firstName: 'A', lastName: 'B', phones: Array.from({ length: 50 }, () => '123') },
    ];
    for (const body of bad) {
      const res = await create(acme, body).expect(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    for (const query of ['limit=0', 'limit=abc', 'limit=100000', 'source=ldap', 'active=maybe', 'connectionId=xyz', 'cursor=garbage', 'unknown=1']) {
      const res = await request(t.url).get(`/api/v1/employees?${query}`).set(bearer(acme.ownerKey)).expect(400);
      expect(res.body.error).toBeDefined();
    }
    await request(t.url).get('/api/v1/employees/123').set(bearer(acme.ownerKey)).expect(400);
    const [{ n: after }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM employee`);
    expect(after).toBe(before);
  });

  it("keeps accounts apart: another account's employee is always 404", async () => {
    const { body: mine } = await create(acme, { firstName: 'Private', lastName: 'Person' }).expect(201);
    const foreign = bearer(other.ownerKey);
    await request(t.url).get(`/api/v1/employees/${mine.id}`).set(foreign).expect(404);
    await request(t.url).patch(`/api/v1/employees/${mine.id}`).set(foreign).send({ firstName: 'Hacked' }).expect(404);
    await request(t.url).post(`/api/v1/employees/${mine.id}/deactivate`).set(foreign).expect(404);
    await request(t.url).post(`/api/v1/responsible-employees/${mine.id}`).set(foreign).expect(404);
    const put = await request(t.url).put('/api/v1/responsible-employees').set(foreign).send({ employeeIds: [mine.id] }).expect(422);
    expect(put.body.error.details.employeeIds).toEqual([mine.id]);
    const list = await request(t.url).get('/api/v1/employees?limit=500').set(foreign).expect(200);
    expect(list.body.items.map((e: { id: string }) => e.id)).not.toContain(mine.id);
    const still = await request(t.url).get(`/api/v1/employees/${mine.id}`).set(bearer(acme.ownerKey)).expect(200);
    expect(still.body).toMatchObject({ firstName: 'Private', active: true, responsible: false });
  });

  it('replaces the responsible list and refuses deactivated employees on it', async () => {
    const account = await createAccount(t, 'Responsible');
    const k = bearer(account.ownerKey);
    const a = (await request(t.url).post('/api/v1/employees').set(k).send({ firstName: 'A', lastName: 'A' }).expect(201)).body;
    const b = (await request(t.url).post('/api/v1/employees').set(k).send({ firstName: 'B', lastName: 'B' }).expect(201)).body;
    const put = await request(t.url).put('/api/v1/responsible-employees').set(k).send({ employeeIds: [a.id, b.id, a.id] }).expect(200);
    expect(put.body.items.map((e: { id: string }) => e.id).sort()).toEqual([a.id, b.id].sort());
    await request(t.url).delete(`/api/v1/responsible-employees/${a.id}`).set(k).expect(200);
    await request(t.url).post(`/api/v1/employees/${b.id}/deactivate`).set(k).expect(200);
    const refused = await request(t.url).post(`/api/v1/responsible-employees/${b.id}`).set(k).expect(422);
    expect(refused.body.error.code).toBe('inactive_employees');
    const list = await request(t.url).get('/api/v1/responsible-employees').set(k).expect(200);
    expect(list.body.items).toEqual([]);
    const viewer = await createKey(t, account, 'viewer');
    await request(t.url).put('/api/v1/responsible-employees').set(bearer(viewer.key)).send({ employeeIds: [] }).expect(403);
  });

  it('pages through 100,000 employees without gaps or repeats', async () => {
    const account = await createAccount(t, 'Large');
    await t.dataSource.query(
      `INSERT INTO employee (account_id, first_name, last_name, source)
       SELECT $1, 'First' || (g % 97), CASE WHEN g % 3 = 0 THEN '(bitrix24) ' ELSE '' END || 'Last' || (g % 1000), 'manual'
         FROM generate_series(1, 100000) AS g`,
      [account.id],
    );
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await request(t.url)
        .get(`/api/v1/employees?limit=500${cursor ? `&cursor=${cursor}` : ''}`)
        .set(bearer(account.ownerKey))
        .expect(200);
      for (const e of res.body.items as Array<{ id: string; lastName: string }>) {
        expect(seen.has(e.id)).toBe(false);
        seen.add(e.id);
      }
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen.size).toBe(100000);
    expect(pages).toBe(200);
  }, 180_000);
});
