import request from 'supertest';
import { PortalSimulator } from '../simulator/portal-simulator';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { freePort } from '../support/free-port';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET } from '../support/bitrix24';
import { expectEnvelope, storedState } from '../support/security';
import { startTestApp, TestApp } from '../support/test-app';

/** Issue 10, finding 8 (and connecting safely): the OAuth state is bound to the account and the portal it was started for. */
describe('security: OAuth state and connect', () => {
  let t: TestApp;
  let x: PortalSimulator;
  let y: PortalSimulator;
  let acme: TestAccount;

  beforeAll(async () => {
    const port = await freePort();
    const redirectUri = `http://127.0.0.1:${port}/bitrix24/oauth/callback`;
    x = await PortalSimulator.start({ clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET, redirectUri, people: 3 });
    y = await PortalSimulator.start({ clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET, redirectUri, people: 3 });
    // Both portals' authorization servers are trusted: only the state binding can tell them apart.
    t = await startTestApp({ port, env: { BITRIX24_OAUTH_SERVERS: `${x.serverDomain},${y.serverDomain}` } });
    acme = await createAccount(t, 'Acme');
  });
  afterAll(async () => {
    await t.close();
    await x.stop();
    await y.stop();
  });

  it('finding 8: a flow started for portal X and authorized on portal Y connects nothing', async () => {
    const before = await storedState(t);
    const start = await request(t.url).post('/api/v1/bitrix24/oauth/start').set(bearer(acme.ownerKey)).send({ portal: x.baseUrl }).expect(201);
    const state = new URL(start.body.authorizeUrl).searchParams.get('state')!;
    const onY = await fetch(y.authorizeUrl(state), { redirect: 'manual' });
    const callback = await fetch(onY.headers.get('location')!, { redirect: 'manual' });
    expect(callback.status).toBe(400);
    expect(callback.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const page = await callback.text();
    expect(page).toContain('started for');
    expect(page).toContain(x.domain);
    expect(await storedState(t)).toBe(before);
    // The state is spent: replaying it on X does not connect either.
    const onX = await fetch(x.authorizeUrl(state), { redirect: 'manual' });
    expect((await fetch(onX.headers.get('location')!, { redirect: 'manual' })).status).toBe(400);
    expect(await storedState(t)).toBe(before);
  });

  it('a state started by one account does not connect for another, and works once for its own', async () => {
    const other = await createAccount(t, 'Other');
    const start = await request(t.url).post('/api/v1/bitrix24/oauth/start').set(bearer(other.ownerKey)).send({ portal: y.baseUrl }).expect(201);
    const authorize = await fetch(start.body.authorizeUrl, { redirect: 'manual' });
    const ok = await fetch(authorize.headers.get('location')!, { redirect: 'manual' });
    expect(ok.status).toBe(302);
    const [row] = await t.dataSource.query(`SELECT account_id FROM bitrix24_connection WHERE member_id = $1`, [y.memberId]);
    expect(row.account_id).toBe(other.id);
    const list = await request(t.url).get('/api/v1/bitrix24/connections').set(bearer(acme.ownerKey)).expect(200);
    expect(list.body.map((c: { memberId: string }) => c.memberId)).not.toContain(y.memberId);
  });

  it('connect probe: a closed port or a host that does not resolve is a 422 with a clear code, not a redirect', async () => {
    const closed = await freePort();
    const refused = await request(t.url).post('/api/v1/bitrix24/oauth/start').set(bearer(acme.ownerKey)).send({ portal: `http://127.0.0.1:${closed}` }).expect(422);
    expectEnvelope(refused.body, 'portal_unreachable');
    const unknown = await request(t.url).post('/api/v1/bitrix24/oauth/start').set(bearer(acme.ownerKey)).send({ portal: 'https://no-such-portal.invalid' }).expect(422);
    expectEnvelope(unknown.body, 'host_not_found');
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM bitrix24_oauth_state WHERE portal_base_url LIKE '%' || $1 || '%' OR portal_domain = 'no-such-portal.invalid'`, [String(closed)]);
    expect(n).toBe(0);
  });

  it('connect probe: a portal that answers gets the authorize URL on the scheme the owner typed', async () => {
    const probesBefore = x.stats.httpRequests;
    const start = await request(t.url).post('/api/v1/bitrix24/oauth/start').set(bearer(acme.ownerKey)).send({ portal: x.baseUrl }).expect(201);
    expect(start.body.authorizeUrl.startsWith(`${x.baseUrl}/oauth/authorize/`)).toBe(true);
    expect(x.stats.httpRequests).toBe(probesBefore + 1);
  });
});
