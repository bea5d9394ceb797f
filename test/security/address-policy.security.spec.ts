import request from 'supertest';
import { Bitrix24ConnectionsRepository } from '../../src/bitrix24/bitrix24-connections.repository';
import { OutboundHttp } from '../../src/bitrix24/client/outbound-http';
import { addressRefusal, UrlPolicy } from '../../src/bitrix24/client/url-policy';
import { TokenCipher } from '../../src/common/crypto/token-cipher';
import { PortalSimulator } from '../simulator/portal-simulator';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { expectEnvelope, storedState } from '../support/security';
import { synchronize } from '../support/sync';

/**
 * Issue 10, findings 3 and 4: one address policy for every outbound request. The policy
 * runs as in production (BITRIX24_ALLOW_INSECURE off), and the simulator counts every TCP
 * connection it accepts: a refused address never gets one.
 */
describe('security: the address policy (SSRF)', () => {
  let env: PortalAndApp;
  let acme: TestAccount;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 5 }, { env: { BITRIX24_ALLOW_INSECURE: 'false' } });
    acme = await createAccount(env.t, 'Acme');
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  const hosts = (port: number) => [
    `[::ffff:127.0.0.1]:${port}`,
    `[::ffff:7f00:1]:${port}`,
    `[0:0:0:0:0:ffff:7f00:1]:${port}`,
    `[::ffff:a9fe:a9fe]:${port}`,
    `[::127.0.0.1]:${port}`,
    `[64:ff9b::7f00:1]:${port}`,
    `[2002:7f00:1::]:${port}`,
    `[::1]:${port}`,
    `127.0.0.1:${port}`,
    `0.0.0.0:${port}`,
    `2130706433:${port}`,
    `localhost:${port}`,
    `198.18.0.1:${port}`,
    `192.0.0.1:${port}`,
    `169.254.169.254:${port}`,
    `10.0.0.1:${port}`,
    `100.64.0.1:${port}`,
  ];

  it('finding 3: webhook URLs on IPv4-mapped, translated and special-range hosts are refused before any connection; nothing is saved', async () => {
    const port = Number(new URL(env.sim.baseUrl).port);
    const secret = /\/rest\/1\/([^/]+)\//.exec(env.sim.createWebhook({ scope: ['user', 'department'] }))![1];
    const before = await storedState(env.t);
    env.sim.resetStats();
    for (const host of hosts(port)) {
      const res = await request(env.t.url).post('/api/v1/bitrix24/connections').set(bearer(acme.ownerKey)).send({ webhookUrl: `https://${host}/rest/1/${secret}/` });
      expect({ host, status: res.status }).toEqual({ host, status: 400 });
      expectEnvelope(res.body, 'private_address');
    }
    expect(env.sim.stats.connections).toBe(0);
    expect(await storedState(env.t)).toBe(before);
  });

  it('finding 3: the same hosts are refused as a portal to connect through OAuth', async () => {
    const port = Number(new URL(env.sim.baseUrl).port);
    env.sim.resetStats();
    for (const host of hosts(port)) {
      const res = await request(env.t.url).post('/api/v1/bitrix24/oauth/start').set(bearer(acme.ownerKey)).send({ portal: `https://${host}` });
      expect({ host, status: res.status }).toEqual({ host, status: 400 });
      expectEnvelope(res.body, /^(private_address|invalid_portal)$/);
    }
    expect(env.sim.stats.connections).toBe(0);
    const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM bitrix24_oauth_state`);
    expect(n).toBe(0);
  });

  it('the address actually connected to is checked: a host that resolves publicly for the check and to loopback at connect time gets no connection (DNS rebinding)', async () => {
    const port = Number(new URL(env.sim.baseUrl).port);
    let answer = ['93.184.216.34'];
    const policy: UrlPolicy = { allowInsecure: false, allowedPrivateNetworks: [], resolve: async () => answer };
    const agent = OutboundHttp.dispatcherFor(policy);
    const { fetch: undiciFetch } = await import('undici');
    try {
      env.sim.resetStats();
      answer = ['127.0.0.1'];
      const error = await undiciFetch(`http://rebind.example:${port}/rest/profile.json`, { dispatcher: agent }).catch((e: unknown) => e);
      expect(addressRefusal(error)?.addressClass).toBe('loopback');
      expect(env.sim.stats.connections).toBe(0);
      // The same dispatcher with insecure mode on does reach the simulator: the counter can see a connection.
      const open = OutboundHttp.dispatcherFor({ ...policy, allowInsecure: true });
      const res = await undiciFetch(`http://rebind.example:${port}/`, { dispatcher: open });
      await res.arrayBuffer();
      expect(env.sim.stats.connections).toBe(1);
      await open.destroy();
    } finally {
      await agent.destroy();
    }
  });

  it('a stored connection whose address the policy refuses is not contacted at sync time (every later request is checked)', async () => {
    const webhook = env.sim.createWebhook({ scope: ['user', 'department'] });
    // Planted directly: no API path can store it any more.
    const id = await env.t.app.get(Bitrix24ConnectionsRepository).upsertWebhook(acme.id, 'webhook:planted', '127.0.0.1', env.t.app.get(TokenCipher).seal(webhook), 'user,department', 'on_premise', 1);
    env.sim.resetStats();
    const run = await synchronize(env.t, acme, id!);
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('ADDRESS_REFUSED');
    expect(env.sim.stats.connections).toBe(0);
  });
});

describe('security: redirects (finding 4)', () => {
  let env: PortalAndApp;
  let acme: TestAccount;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 5 });
    acme = await createAccount(env.t, 'Acme');
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });
  afterEach(() => env.sim.faults.reset());

  it('a webhook redirected to https://0.0.0.0:PORT stops with PORTAL_MOVED; nothing follows the redirect, nothing is stored', async () => {
    const url = env.sim.createWebhook({ scope: ['user', 'department'] });
    const created = await request(env.t.url).post('/api/v1/bitrix24/connections').set(bearer(acme.ownerKey)).send({ webhookUrl: url }).expect(201);
    const port = new URL(env.sim.baseUrl).port;
    env.sim.faults.redirectRest(`https://0.0.0.0:${port}`);
    const run = await synchronize(env.t, acme, created.body.id);
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('PORTAL_MOVED');
    expect(run.error?.message).toContain(`0.0.0.0:${port}`);
    expect(run.error?.message).not.toContain(url.split('/rest/')[1]);
    const [row] = await env.t.dataSource.query(`SELECT domain, webhook_url_enc FROM bitrix24_connection WHERE id = $1`, [created.body.id]);
    expect(env.t.app.get(TokenCipher).open(row.webhook_url_enc)).toBe(url);
    expect(row.domain).toBe(env.sim.domain);
    // Only redirect answers were served: the request never went anywhere else.
    expect(env.sim.stats.httpRequests).toBeGreaterThanOrEqual(1);
  });

  it('a moved portal behind a webhook: the new address receives nothing until the owner reconnects', async () => {
    const other = await startPortalAndApp({ people: 3 }, { database: env.t.database });
    try {
      const account = await createAccount(other.t, 'Webhooked');
      const url = other.sim.createWebhook({ scope: ['user', 'department'] });
      const created = await request(other.t.url).post('/api/v1/bitrix24/connections').set(bearer(account.ownerKey)).send({ webhookUrl: url }).expect(201);
      await other.sim.movePortal();
      other.sim.resetStats();
      const run = await synchronize(other.t, account, created.body.id);
      expect(run.error?.code).toBe('PORTAL_MOVED');
      expect(other.sim.stats.restRequests).toBe(other.sim.stats.redirects);
      const [row] = await other.t.dataSource.query(`SELECT webhook_url_enc FROM bitrix24_connection WHERE id = $1`, [created.body.id]);
      expect(other.t.app.get(TokenCipher).open(row.webhook_url_enc)).toBe(url);
    } finally {
      await other.t.close();
      await other.sim.stop();
    }
  });

  it('an OAuth connection redirected elsewhere is not followed when the authorization server still names the old address', async () => {
    const id = await connectPortal(env.t, acme, env.sim);
    const [before] = await env.t.dataSource.query(`SELECT domain, client_endpoint FROM bitrix24_connection WHERE id = $1`, [id]);
    const decoy = await PortalSimulator.start({ people: 1 });
    try {
      env.sim.faults.redirectRest(decoy.baseUrl);
      const run = await synchronize(env.t, acme, id);
      expect(run.error?.code).toBe('PORTAL_MOVED');
      expect(decoy.stats.connections).toBe(0);
      const [after] = await env.t.dataSource.query(`SELECT domain, client_endpoint FROM bitrix24_connection WHERE id = $1`, [id]);
      expect(after).toEqual(before);
    } finally {
      await decoy.stop();
    }
  });
});
