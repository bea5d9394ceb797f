import request from 'supertest';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { synchronize } from '../support/sync';

describe('incoming-webhook connections (on-premise portals)', () => {
  let env: PortalAndApp;
  let acme: TestAccount;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 40, seed: 9 });
    acme = await createAccount(env.t, 'Acme');
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  const connect = (webhookUrl: string, account = acme) =>
    request(env.t.url).post('/api/v1/bitrix24/connections').set(bearer(account.ownerKey)).send({ webhookUrl, edition: 'on_premise' });

  it('says exactly which permissions a webhook lacks, and stores nothing', async () => {
    const res = await connect(env.sim.createWebhook({ scope: ['user_basic'] })).expect(422);
    expect(res.body.error).toMatchObject({ code: 'webhook_scope_insufficient', details: { missingScopes: ['department'] } });
    const none = await connect(env.sim.createWebhook({ scope: ['crm'] })).expect(422);
    expect(none.body.error.details.missingScopes).toEqual(['user (or user_basic)', 'department']);
    const list = await request(env.t.url).get('/api/v1/bitrix24/connections').set(bearer(acme.ownerKey)).expect(200);
    expect(list.body).toEqual([]);
  });

  it('refuses a webhook Bitrix24 does not know, and malformed addresses', async () => {
    const good = env.sim.createWebhook({ scope: ['user', 'department'] });
    const wrong = good.replace(/\/rest\/(\d+)\/[^/]+\//, '/rest/$1/wrongsecret123/');
    const res = await connect(wrong).expect(422);
    expect(res.body.error.code).toBe('webhook_rejected');
    for (const bad of ['not a url', 'https://portal.example.com/', `${good}user.get`, 'ftp://x/rest/1/abc/']) {
      const r = await connect(bad).expect(400);
      expect(r.body.error.code).toMatch(/invalid_webhook_url|insecure_url/);
    }
  });

  it('connects with a working webhook, hides its secret, syncs on-premise rules, and disconnects keeping employees', async () => {
    const url = env.sim.createWebhook({ scope: ['user', 'department'] });
    const created = await connect(url).expect(201);
    expect(created.body).toMatchObject({ authType: 'webhook', edition: 'on_premise', state: 'active', eventsBound: false });
    expect(created.body.webhookUrl).toMatch(/\/rest\/\d+\/\*\*\*\/$/);
    const secret = /\/rest\/\d+\/([^/]+)\//.exec(url)![1];
    expect(JSON.stringify(created.body)).not.toContain(secret);
    const [row] = await env.t.dataSource.query(`SELECT webhook_url_enc FROM bitrix24_connection WHERE id = $1`, [created.body.id]);
    expect(row.webhook_url_enc).toMatch(/^enc1:/);
    expect(JSON.stringify(env.t.logs)).not.toContain(secret);

    const again = await connect(url).expect(200);
    expect(again.body.id).toBe(created.body.id);

    const run = await synchronize(env.t, acme, created.body.id);
    expect(run.status).toBe('succeeded');
    expect(run.counters.created).toBeGreaterThan(0);
    const noDepartment = env.sim.users.filter((u) => Array.isArray(u.UF_DEPARTMENT) && u.UF_DEPARTMENT.length === 0 && u.USER_TYPE === 'employee' && u.LAST_NAME && u.EMAIL);
    if (noDepartment.length) expect(run.counters.skippedByReason.missing_department).toBeGreaterThan(0);

    const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM employee WHERE account_id = $1`, [acme.id]);
    const gone = await request(env.t.url).delete(`/api/v1/bitrix24/connections/${created.body.id}`).set(bearer(acme.ownerKey)).expect(200);
    expect(gone.body).toMatchObject({ state: 'disconnected', webhookUrl: null });
    const [after] = await env.t.dataSource.query(`SELECT webhook_url_enc FROM bitrix24_connection WHERE id = $1`, [created.body.id]);
    expect(after.webhook_url_enc).toBeNull();
    const [{ n: still }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM employee WHERE account_id = $1`, [acme.id]);
    expect(still).toBe(n);
    await request(env.t.url).post(`/api/v1/bitrix24/connections/${created.body.id}/sync`).set(bearer(acme.ownerKey)).expect(409);
  });

  it('refuses the webhook of a user who is not a portal administrator (user.admin), and stores nothing', async () => {
    const res = await connect(env.sim.createWebhook({ scope: ['user', 'department'], userId: 3 })).expect(422);
    expect(res.body.error).toMatchObject({ code: 'webhook_user_not_admin', details: { bitrix24UserId: 3 } });
    expect(res.body.error.message).toMatch(/not a portal administrator.*A Bitrix24 administrator must create the incoming webhook/);
    const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM bitrix24_connection WHERE member_id LIKE '%:3'`);
    expect(n).toBe(0);
    env.sim.setAdmin(3);
    try {
      const ok = await connect(env.sim.createWebhook({ scope: ['user', 'department'], userId: 3 })).expect(201);
      expect(ok.body.state).toBe('active');
      await request(env.t.url).delete(`/api/v1/bitrix24/connections/${ok.body.id}`).set(bearer(acme.ownerKey)).expect(200);
    } finally {
      env.sim.setAdmin(3, false);
    }
  });

  it('edits the sync settings and recomputes the next run from the schedule', async () => {
    env.sim.setAdmin(2);
    const { body } = await connect(env.sim.createWebhook({ scope: ['user', 'department'], userId: 2 })).expect(201);
    const daily = await request(env.t.url)
      .patch(`/api/v1/bitrix24/connections/${body.id}`)
      .set(bearer(acme.ownerKey))
      .send({ schedule: { kind: 'daily', dailyTimesUtc: ['18:00', '06:00'] }, defaultCountry: 'KZ', removalGuardPercent: 35, includeExtranet: true, rateLimit: { perSecond: 5, burst: 250 } })
      .expect(200);
    expect(daily.body.settings).toEqual({
      includeExtranet: true,
      defaultCountry: 'KZ',
      schedule: { kind: 'daily', intervalMinutes: null, dailyTimesUtc: ['06:00', '18:00'] },
      removalGuardPercent: 35,
      rateLimit: { perSecond: 5, burst: 250 },
      // Untouched: every department, heads and managers on (issue 13).
      departmentScope: { mode: 'all', bitrix24DepartmentIds: [], includeNewDepartments: true },
      departmentScopeSavedAt: null,
      syncManagers: true,
    });
    const next = new Date(daily.body.sync.nextSyncAt);
    expect(['06:00', '18:00']).toContain(next.toISOString().slice(11, 16));
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(12 * 3600 * 1000 + 1000);
    const interval = await request(env.t.url).patch(`/api/v1/bitrix24/connections/${body.id}`).set(bearer(acme.ownerKey)).send({ schedule: { kind: 'interval', intervalMinutes: 15 } }).expect(200);
    expect(interval.body.settings.schedule).toEqual({ kind: 'interval', intervalMinutes: 15, dailyTimesUtc: null });
    expect(Math.abs(new Date(interval.body.sync.nextSyncAt).getTime() - (Date.now() + 15 * 60_000))).toBeLessThan(60_000);
    for (const bad of [{ schedule: { kind: 'daily', dailyTimesUtc: ['25:00'] } }, { schedule: { kind: 'weekly' } }, { defaultCountry: 'russia' }, { removalGuardPercent: 101 }, { rateLimit: { perSecond: 0, burst: 1 } }, { state: 'active' }]) {
      await request(env.t.url).patch(`/api/v1/bitrix24/connections/${body.id}`).set(bearer(acme.ownerKey)).send(bad).expect(400);
    }
    const viewer = (await request(env.t.url).post('/api/v1/api-keys').set(bearer(acme.ownerKey)).send({ name: 'v', role: 'viewer' }).expect(201)).body.key;
    const refused = await request(env.t.url).patch(`/api/v1/bitrix24/connections/${body.id}`).set(bearer(viewer)).send({ includeExtranet: false }).expect(403);
    expect(refused.body.error.details.missingPermission).toBe('connections:manage');
  });
});
