import request from 'supertest';
import { SyncWorker } from '../../src/sync/sync-worker.service';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

describe('Bitrix24 install and events', () => {
  let env: PortalAndApp;
  let acme: TestAccount;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 10, seed: 5, shares: { dismissed: 0, extranet: 0, emailMissing: 0, emailInvalid: 0, missingLastName: 0, emailShared: 0 } });
    acme = await createAccount(env.t, 'Acme');
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  const connectionRow = async () => {
    const [row] = await env.t.dataSource.query(`SELECT * FROM bitrix24_connection WHERE member_id = $1`, [env.sim.memberId]);
    return row;
  };

  it('install first: the portal is recorded unbound, then bound by the OAuth flow of an account', async () => {
    expect(await env.sim.postInstall(`${env.t.url}/bitrix24/install`)).toBe(200);
    const installed = await connectionRow();
    expect(installed).toMatchObject({ account_id: null, state: 'active', domain: env.sim.domain });
    expect(installed.application_token_enc).toMatch(/^enc1:/);
    expect(JSON.stringify(installed)).not.toContain(env.sim.applicationToken);
    const id = await connectPortal(env.t, acme, env.sim);
    expect(id).toBe(installed.id);
    const bound = await connectionRow();
    expect(bound.account_id).toBe(acme.id);
    expect(bound.application_token_enc).toBe(installed.application_token_enc);
  });

  it('refuses an install callback whose tokens do not work on the named portal', async () => {
    const res = await request(env.t.url)
      .post('/bitrix24/install')
      .type('form')
      .send(form({ event: 'ONAPPINSTALL', 'auth[member_id]': 'f'.repeat(32), 'auth[domain]': env.sim.domain, 'auth[access_token]': 'forged', 'auth[refresh_token]': 'forged', 'auth[application_token]': 'mine' }))
      .expect(401);
    expect(res.body.error.code).toBe('install_not_verified');
    const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM bitrix24_connection WHERE member_id = $1`, ['f'.repeat(32)]);
    expect(n).toBe(0);
  });

  it('an event with a wrong application_token gets 401 and changes nothing', async () => {
    const before = await connectionRow();
    const [{ n: runsBefore }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM sync_run`);
    for (const token of ['wrong', '', env.sim.applicationToken.slice(0, -1)]) {
      const res = await request(env.t.url)
        .post('/bitrix24/events')
        .type('form')
        .send(form({ event: 'ONAPPUNINSTALL', 'auth[member_id]': env.sim.memberId, 'auth[application_token]': token }))
        .expect(401);
      expect(res.body.error.code).toBe('event_not_authenticated');
    }
    await request(env.t.url)
      .post('/bitrix24/events')
      .type('form')
      .send(form({ event: 'ONUSERADD', 'data[ID]': '1', 'auth[member_id]': env.sim.memberId, 'auth[application_token]': 'nope' }))
      .expect(401);
    const after = await connectionRow();
    expect(after.state).toBe(before.state);
    expect(after.access_token_enc).toBe(before.access_token_enc);
    const [{ n: runsAfter }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM sync_run`);
    expect(runsAfter).toBe(runsBefore);
  });

  it('ONUSERADD is answered at once and queued durably, then imported by the worker', async () => {
    const user = env.sim.addUser({ NAME: 'Новый', LAST_NAME: 'Сотрудник', EMAIL: 'new.hire@example.com', WORK_PHONE: '+7 (495) 111-22-33', ACTIVE: true, UF_DEPARTMENT: [1], USER_TYPE: 'employee' });
    const worker = env.t.app.get(SyncWorker);
    const statuses = await env.sim.fireOnUserAdd(user.ID);
    expect(statuses).toEqual([200]);
    const [run] = await env.t.dataSource.query(`SELECT * FROM sync_run WHERE trigger = 'event' ORDER BY queued_at DESC LIMIT 1`);
    expect(run.target_user_ids).toEqual([Number(user.ID)]);
    await worker.idle();
    await worker.runOnce(false);
    const done = await request(env.t.url).get(`/api/v1/sync-runs/${run.id}`).set(bearer(acme.ownerKey)).expect(200);
    expect(done.body).toMatchObject({ trigger: 'event', status: 'succeeded' });
    expect(done.body.counters.created).toBe(1);
    const found = await request(env.t.url).get('/api/v1/employees?q=new.hire').set(bearer(acme.ownerKey)).expect(200);
    expect(found.body.items).toHaveLength(1);
    expect(found.body.items[0]).toMatchObject({ lastName: '(bitrix24) Сотрудник', firstName: 'Новый', phones: [{ number: '74951112233', source: 'work' }] });
  });

  it('ONAPPUNINSTALL marks the connection uninstalled, wipes its tokens and keeps the employees', async () => {
    const [{ n: employeesBefore }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM employee WHERE account_id = $1`, [acme.id]);
    expect(employeesBefore).toBeGreaterThan(0);
    const statuses = await env.sim.postUninstall(`${env.t.url}/bitrix24/events`);
    expect(statuses).toEqual([200]);
    const row = await connectionRow();
    expect(row).toMatchObject({ state: 'uninstalled', access_token_enc: null, refresh_token_enc: null, application_token_enc: null });
    const [{ n: employeesAfter }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM employee WHERE account_id = $1`, [acme.id]);
    expect(employeesAfter).toBe(employeesBefore);
    const sync = await request(env.t.url).post(`/api/v1/bitrix24/connections/${row.id}/sync`).set(bearer(acme.ownerKey)).expect(409);
    expect(sync.body.error.code).toBe('connection_not_active');
  });

  it('OAuth first, install later: both orders end bound with the application token', async () => {
    const other = await startPortalAndApp({ people: 3 }, { database: env.t.database, port: undefined });
    try {
      const account = await createAccount(other.t, 'Later');
      const id = await connectPortal(other.t, account, other.sim);
      expect(await other.sim.postInstall(`${other.t.url}/bitrix24/install`)).toBe(200);
      const [row] = await other.t.dataSource.query(`SELECT account_id, application_token_enc FROM bitrix24_connection WHERE id = $1`, [id]);
      expect(row.account_id).toBe(account.id);
      expect(row.application_token_enc).toMatch(/^enc1:/);
    } finally {
      await other.t.close();
      await other.sim.stop();
    }
  });

  it('a connection made through OAuth alone learns no application token from events: they are refused until an administrator reinstalls', async () => {
    const other = await startPortalAndApp({ people: 3 }, { database: env.t.database });
    try {
      const account = await createAccount(other.t, 'OAuthOnly');
      const id = await connectPortal(other.t, account, other.sim);
      const user = other.sim.addUser({ NAME: 'Ev', LAST_NAME: 'Ent', EMAIL: 'ev@example.com' });
      const restBefore = other.sim.stats.restRequests;
      expect(await other.sim.fireOnUserAdd(user.ID)).toEqual([401]);
      expect(other.sim.stats.restRequests).toBe(restBefore); // refused without calling anyone
      const [row] = await other.t.dataSource.query(`SELECT application_token_enc FROM bitrix24_connection WHERE id = $1`, [id]);
      expect(row.application_token_enc).toBeNull();
      const view = await request(other.t.url).get(`/api/v1/bitrix24/connections/${id}`).set(bearer(account.ownerKey)).expect(200);
      expect(view.body.pushedEvents).toMatchObject({ enabled: false, reason: 'no_application_token' });
      expect(view.body.pushedEvents.hint).toContain('administrator to reinstall');

      expect(await other.sim.postInstall(`${other.t.url}/bitrix24/install`)).toBe(200);
      expect(await other.sim.fireOnUserAdd(user.ID)).toEqual([200]);
      const after = await request(other.t.url).get(`/api/v1/bitrix24/connections/${id}`).set(bearer(account.ownerKey)).expect(200);
      expect(after.body.pushedEvents).toEqual({ enabled: true, reason: null, hint: null });
    } finally {
      await other.t.close();
      await other.sim.stop();
    }
  });

  it('an authenticated event naming a new portal address moves nothing (only the authorization server or the owner can)', async () => {
    const other = await startPortalAndApp({ people: 3 }, { database: env.t.database });
    try {
      const account = await createAccount(other.t, 'Moving');
      const id = await connectPortal(other.t, account, other.sim);
      await other.sim.postInstall(`${other.t.url}/bitrix24/install`);
      const [before] = await other.t.dataSource.query(`SELECT domain, client_endpoint FROM bitrix24_connection WHERE id = $1`, [id]);
      await other.sim.movePortal();
      const user = other.sim.addUser({ NAME: 'Mo', LAST_NAME: 'Ved', EMAIL: 'moved@example.com' });
      expect(await other.sim.fireOnUserAdd(user.ID)).toEqual([200]);
      const [row] = await other.t.dataSource.query(`SELECT domain, client_endpoint FROM bitrix24_connection WHERE id = $1`, [id]);
      expect(row).toEqual(before);
    } finally {
      await other.t.close();
      await other.sim.stop();
    }
  });
});
