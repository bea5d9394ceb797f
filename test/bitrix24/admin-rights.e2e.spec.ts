import request from 'supertest';
import type { Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { callApp } from '../simulator/spec-helpers';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { employeeByBitrix24Id, runPollerOnce, synchronize } from '../support/sync';

// Issue 11 item 1: a portal connected by someone who is not a portal administrator.
// rest/lib/api/user.php: for such a caller user.get hides users without a department (and
// outside its workgroups), ADMIN_MODE or not, also in queries by ID.

function person(id: number, fields: Partial<Bitrix24User> = {}): Bitrix24User {
  return { ID: String(id), ACTIVE: true, NAME: `N${id}`, LAST_NAME: `L${id}`, EMAIL: `p${id}@example.com`, UF_DEPARTMENT: [1], USER_TYPE: 'employee', ...fields };
}
// 1 is the administrator; 2–26 employees; 27–29 employees without a department (imported on
// a cloud portal); 30 an extranet guest.
const PEOPLE = [...Array.from({ length: 26 }, (_, i) => person(i + 1)), ...[27, 28, 29].map((id) => person(id, { UF_DEPARTMENT: [] })), person(30, { USER_TYPE: 'extranet', UF_DEPARTMENT: [] })];
const NO_DEPARTMENT = [27, 28, 29];

describe('admin rights (user.admin) at connect and at the start of every full run', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  const connection = async (id: string) => (await request(env.t.url).get(`/api/v1/bitrix24/connections/${id}`).set(bearer(acme.ownerKey)).expect(200)).body;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: PEOPLE });
    acme = await createAccount(env.t, 'Acme');
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('an OAuth connect by a user who is not an administrator is stored as insufficient_rights: no events, no runs, and it says who must reconnect', async () => {
    env.sim.authorizingUserId = 5;
    const id = await connectPortal(env.t, acme, env.sim);
    const row = await connection(id);
    expect(row).toMatchObject({ state: 'insufficient_rights', stateReason: 'NOT_ADMIN', eventsBound: false, sync: { polling: false, nextSyncAt: null } });
    expect(row.stateMessage).toMatch(/connected by Bitrix24 user #5, who is not a portal administrator.*A Bitrix24 administrator must connect the portal again/);
    expect(row.sync.lastError).toMatchObject({ code: 'NOT_ADMIN' });
    expect(env.sim.eventHandlers).toEqual([]);
    await runPollerOnce(env.t);
    const runs = await env.t.dataSource.query(`SELECT id FROM sync_run WHERE connection_id = $1`, [id]);
    expect(runs).toEqual([]);
    const refused = await request(env.t.url).post(`/api/v1/bitrix24/connections/${id}/sync`).set(bearer(acme.ownerKey)).expect(409);
    expect(refused.body.error).toMatchObject({ code: 'connection_not_active', details: { state: 'insufficient_rights' } });

    // An administrator connects the same portal: active again, events bound.
    env.sim.authorizingUserId = 1;
    expect(await connectPortal(env.t, acme, env.sim)).toBe(id);
    expect(await connection(id)).toMatchObject({ state: 'active', stateMessage: null, eventsBound: true, sync: { polling: true } });
  });

  it('a run whose token lost administrator rights stops before reading: nobody is marked deleted or leaves the responsible list', async () => {
    const [{ id }] = await env.t.dataSource.query(`SELECT id FROM bitrix24_connection WHERE account_id = $1 AND auth_type = 'oauth'`, [acme.id]);
    const first = await synchronize(env.t, acme, id);
    expect(first.status).toBe('succeeded');
    // The whole portal (less the extranet guest) was counted and imported.
    expect(first.progress.total).toBe(PEOPLE.length);
    expect(first.counters.created).toBe(29);
    const responsible = [];
    for (const userId of [2, ...NO_DEPARTMENT]) responsible.push((await employeeByBitrix24Id(env.t, id, userId))!.id);
    await request(env.t.url).put('/api/v1/responsible-employees').set(bearer(acme.ownerKey)).send({ employeeIds: responsible }).expect(200);

    env.sim.setAdmin(1, false);
    try {
      // What the same token now sees: the three without a department are gone, ADMIN_MODE or not
      // (10 % of the links: under the mass-removal guard, so without the check they would be deleted).
      const [{ access_token: token }] = [env.sim.issueTokens(1)];
      const seen = await callApp(env.sim, token, 'user.get', { ADMIN_MODE: true, FILTER: { ID: NO_DEPARTMENT } });
      expect(seen.body.result).toEqual([]);

      const run = await synchronize(env.t, acme, id);
      expect(run).toMatchObject({ status: 'failed', error: { code: 'NOT_ADMIN' } });
      expect(run.error!.message).toMatch(/not a portal administrator/);
      const [{ changed }] = await env.t.dataSource.query(`SELECT count(*) FILTER (WHERE state <> 'active')::int AS changed FROM bitrix24_user_link WHERE connection_id = $1`, [id]);
      expect(changed).toBe(0);
      for (const userId of NO_DEPARTMENT) expect(await employeeByBitrix24Id(env.t, id, userId)).toMatchObject({ link_state: 'active', responsible: true });
      expect(await connection(id)).toMatchObject({ state: 'insufficient_rights', stateReason: 'NOT_ADMIN', sync: { polling: false } });
    } finally {
      env.sim.setAdmin(1, true);
    }
    env.sim.authorizingUserId = 1;
    await connectPortal(env.t, acme, env.sim);
    const after = await synchronize(env.t, acme, id);
    expect(after.status).toBe('succeeded');
    expect(after.counters).toMatchObject({ deleted: 0, removed_from_responsible: 0 });
  });

  it('a verified install by an administrator (the app page or ONAPPINSTALL) lifts insufficient_rights: the pair is the administrator’s now', async () => {
    const [{ id }] = await env.t.dataSource.query(`SELECT id FROM bitrix24_connection WHERE account_id = $1 AND auth_type = 'oauth'`, [acme.id]);
    env.sim.authorizingUserId = 7;
    expect(await connectPortal(env.t, acme, env.sim)).toBe(id);
    expect((await connection(id)).stateMessage).toMatch(/Bitrix24 user #7, who is not a portal administrator/);
    // A regular user's install proves nothing and repairs nothing.
    expect(await env.sim.postInstall(`${env.t.url}/bitrix24/install`, { userId: 7 })).toBe(403);
    expect(await connection(id)).toMatchObject({ state: 'insufficient_rights' });
    // An administrator reinstalls: verified (user.admin), so the connection works again and a full run is queued.
    expect(await env.sim.postInstall(`${env.t.url}/bitrix24/install`, { userId: 1 })).toBe(200);
    expect(await connection(id)).toMatchObject({ state: 'active', stateMessage: null, eventsBound: true, sync: { polling: true, lastError: null } });
    const [{ bitrix24_user_id: userId }] = await env.t.dataSource.query(`SELECT bitrix24_user_id FROM bitrix24_connection WHERE id = $1`, [id]);
    expect(userId).toBe(1);
    const run = await synchronize(env.t, acme, id);
    expect(run.status).toBe('succeeded');
  });

  it('a webhook whose user lost administrator rights: the run stops and the connection says a new webhook is needed', async () => {
    env.sim.setAdmin(2);
    const created = await request(env.t.url)
      .post('/api/v1/bitrix24/connections')
      .set(bearer(acme.ownerKey))
      .send({ webhookUrl: env.sim.createWebhook({ scope: ['user', 'department'], userId: 2 }), edition: 'cloud' })
      .expect(201);
    expect((await synchronize(env.t, acme, created.body.id)).status).toBe('succeeded');
    env.sim.setAdmin(2, false);
    const run = await synchronize(env.t, acme, created.body.id);
    expect(run).toMatchObject({ status: 'failed', error: { code: 'NOT_ADMIN' } });
    const row = await connection(created.body.id);
    expect(row.state).toBe('insufficient_rights');
    expect(row.stateMessage).toMatch(/webhook belongs to Bitrix24 user #2.*must create the incoming webhook/);
  });
});
