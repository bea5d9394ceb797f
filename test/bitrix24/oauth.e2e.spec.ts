import request from 'supertest';
import { PortalSimulator } from '../simulator/portal-simulator';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, runOAuthFlow, startPortalAndApp, TEST_CLIENT_SECRET } from '../support/bitrix24';

describe('Bitrix24 OAuth app flow', () => {
  let env: PortalAndApp;
  let acme: TestAccount;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 20, seed: 3 });
    acme = await createAccount(env.t, 'Acme');
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('builds the authorize URL on the portal with the client id and a random single-use state', async () => {
    const a = await request(env.t.url).post('/api/v1/bitrix24/oauth/start').set(bearer(acme.ownerKey)).send({ portal: env.sim.baseUrl + '/crm/deal/' }).expect(201);
    const b = await request(env.t.url).post('/api/v1/bitrix24/oauth/start').set(bearer(acme.ownerKey)).send({ portal: env.sim.baseUrl }).expect(201);
    const url = new URL(a.body.authorizeUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${env.sim.baseUrl}/oauth/authorize/`);
    expect(url.searchParams.get('client_id')).toBe(env.sim.clientId);
    expect(url.searchParams.get('state')!.length).toBeGreaterThanOrEqual(32);
    expect(new URL(b.body.authorizeUrl).searchParams.get('state')).not.toBe(url.searchParams.get('state'));
    const [row] = await env.t.dataSource.query(`SELECT state_hash FROM bitrix24_oauth_state LIMIT 1`);
    expect(row.state_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects portal addresses that are not one', async () => {
    for (const portal of ['', 'not a host', 'ftp://acme.bitrix24.ru', 'javascript:alert(1)', 'https://user:pw@acme.bitrix24.ru']) {
      const res = await request(env.t.url).post('/api/v1/bitrix24/oauth/start').set(bearer(acme.ownerKey)).send({ portal }).expect(400);
      expect(res.body.error.code).toBe('invalid_portal');
    }
  });

  it('connects the portal: code exchanged, connection stored, events bound, browser sent to the settings page', async () => {
    const before = env.sim.stats.tokenExchanges;
    const id = await connectPortal(env.t, acme, env.sim);
    expect(env.sim.stats.tokenExchanges).toBe(before + 1);
    const res = await request(env.t.url).get(`/api/v1/bitrix24/connections/${id}`).set(bearer(acme.ownerKey)).expect(200);
    expect(res.body).toMatchObject({ id, authType: 'oauth', domain: env.sim.domain, memberId: env.sim.memberId, state: 'active', eventsBound: true });
    const bound = env.sim.eventHandlers.map((h) => `${h.event} ${h.handler}`);
    expect(bound).toContain(`ONUSERADD ${env.t.url}/bitrix24/events`);
    expect(env.sim.stats.secretLeaksToPortal).toBe(0);
  });

  it('the same member_id again updates the connection, never duplicates it', async () => {
    const first = await connectPortal(env.t, acme, env.sim);
    const second = await connectPortal(env.t, acme, env.sim);
    expect(second).toBe(first);
    const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM bitrix24_connection WHERE member_id = $1`, [env.sim.memberId]);
    expect(n).toBe(1);
  });

  it('stores tokens encrypted: the raw row holds no token in clear text', async () => {
    const pair = env.sim.issueTokens();
    await connectPortal(env.t, acme, env.sim);
    const [row] = await env.t.dataSource.query(`SELECT * FROM bitrix24_connection WHERE member_id = $1`, [env.sim.memberId]);
    expect(row.access_token_enc).toMatch(/^enc1:[0-9a-f]{8}:/);
    expect(row.refresh_token_enc).toMatch(/^enc1:/);
    const raw = JSON.stringify(row);
    expect(raw).not.toContain(pair.access_token);
    expect(raw).not.toContain(TEST_CLIENT_SECRET);
    expect(JSON.stringify(env.t.logs)).not.toContain(TEST_CLIENT_SECRET);
    // No token the simulator issued is in any column or log line.
    const allLogs = JSON.stringify(env.t.logs);
    expect(allLogs).not.toMatch(/access_token=[a-z0-9]{20,}/i);
  });

  it('answers a bad, reused or expired state with an error page and stores nothing', async () => {
    const [{ n: before }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM bitrix24_connection`);
    const start = await request(env.t.url).post('/api/v1/bitrix24/oauth/start').set(bearer(acme.ownerKey)).send({ portal: env.sim.baseUrl }).expect(201);
    const authorize = await fetch(start.body.authorizeUrl, { redirect: 'manual' });
    const callback = new URL(authorize.headers.get('location')!);

    const forged = new URL(callback);
    forged.searchParams.set('state', 'forged-state-value-forged-state-value');
    const bad = await fetch(forged, { redirect: 'manual' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('text/html');
    expect(await bad.text()).toContain('invalid, expired or already used');

    const ok = await fetch(callback, { redirect: 'manual' });
    expect(ok.status).toBe(302);
    const exchanges = env.sim.stats.tokenExchanges;
    const reused = await fetch(callback, { redirect: 'manual' });
    expect(reused.status).toBe(400);
    expect(env.sim.stats.tokenExchanges).toBe(exchanges);

    const stale = await request(env.t.url).post('/api/v1/bitrix24/oauth/start').set(bearer(acme.ownerKey)).send({ portal: env.sim.baseUrl }).expect(201);
    await env.t.dataSource.query(`UPDATE bitrix24_oauth_state SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`);
    const staleAuthorize = await fetch(stale.body.authorizeUrl, { redirect: 'manual' });
    const expired = await fetch(staleAuthorize.headers.get('location')!, { redirect: 'manual' });
    expect(expired.status).toBe(400);

    const [{ n: after }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM bitrix24_connection`);
    expect(after).toBe(before === 0 ? 1 : before);
  });

  it('never sends the client secret to a server_domain that is not allow-listed', async () => {
    const evil = await PortalSimulator.start({ clientId: env.sim.clientId, clientSecret: TEST_CLIENT_SECRET });
    try {
      const start = await request(env.t.url).post('/api/v1/bitrix24/oauth/start').set(bearer(acme.ownerKey)).send({ portal: env.sim.baseUrl }).expect(201);
      const authorize = await fetch(start.body.authorizeUrl, { redirect: 'manual' });
      const callback = new URL(authorize.headers.get('location')!);
      callback.searchParams.set('server_domain', evil.serverDomain);
      const res = await fetch(callback, { redirect: 'manual' });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('BITRIX24_OAUTH_SERVERS');
      expect(evil.stats.secretsReceived).toBe(0);
      expect(evil.stats.tokenExchanges + evil.stats.tokenExchangesFailed).toBe(0);
      // The state was not consumed by the refused attempt: the genuine answer still works.
      callback.searchParams.set('server_domain', env.sim.serverDomain);
      expect((await fetch(callback, { redirect: 'manual' })).status).toBe(302);
    } finally {
      await evil.stop();
    }
  });

  it("refuses to bind a portal already connected to another account", async () => {
    const other = await createAccount(env.t, 'Other');
    const result = await runOAuthFlow(env.t, other.ownerKey, env.sim.baseUrl);
    expect(result.status).toBe(409);
    expect(result.body).toContain('another account');
    const list = await request(env.t.url).get('/api/v1/bitrix24/connections').set(bearer(other.ownerKey)).expect(200);
    expect(list.body).toEqual([]);
  });

  it("keeps connections per account: another account's connection is 404 everywhere", async () => {
    const other = await createAccount(env.t, 'Snoop');
    const [{ id }] = await env.t.dataSource.query(`SELECT id FROM bitrix24_connection WHERE member_id = $1`, [env.sim.memberId]);
    const k = bearer(other.ownerKey);
    await request(env.t.url).get(`/api/v1/bitrix24/connections/${id}`).set(k).expect(404);
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${id}`).set(k).send({ includeExtranet: true }).expect(404);
    await request(env.t.url).delete(`/api/v1/bitrix24/connections/${id}`).set(k).expect(404);
    await request(env.t.url).post(`/api/v1/bitrix24/connections/${id}/sync`).set(k).expect(404);
    const mine = await request(env.t.url).get(`/api/v1/bitrix24/connections/${id}`).set(bearer(acme.ownerKey)).expect(200);
    expect(mine.body.state).toBe('active');
  });
});
