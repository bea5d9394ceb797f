import request from 'supertest';
import { ApiKeyService } from '../../src/access/api-key.service';
import { Bitrix24ClientFactory } from '../../src/bitrix24/bitrix24-client.factory';
import { bearer, createAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { expectEnvelope, postForm } from '../support/security';

const bucketCount = (env: PortalAndApp) => (env.t.app.get(Bitrix24ClientFactory) as unknown as { buckets: { size: number } }).buckets.size;

/**
 * Issue 10, findings 6 and 10: what anyone can call without a key is cheap and bounded.
 * Client addresses are played with X-Forwarded-For (the app trusts a loopback proxy).
 */
describe('security: unauthenticated endpoints are cheap and bounded', () => {
  let env: PortalAndApp;

  beforeAll(async () => {
    env = await startPortalAndApp(
      { people: 3 },
      { env: { PUBLIC_RATE_LIMIT_PER_MINUTE: '20', PORTAL_RATE_LIMIT_PER_MINUTE: '8', API_KEY_FAILURES_PER_MINUTE: '10' } },
    );
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('finding 6: 200 forged events with working app tokens make no outbound call, and past the per-address limit get 429 with Retry-After', async () => {
    env.sim.resetStats();
    const token = env.sim.issueTokens().access_token;
    const statuses: number[] = [];
    let limited: request.Response | undefined;
    for (let i = 0; i < 200; i++) {
      const res = await postForm(env.t, '/bitrix24/events', { event: 'ONUSERADD', 'data[ID]': '1', 'auth[member_id]': `forged${i}`, 'auth[application_token]': 'x', 'auth[access_token]': token, 'auth[client_endpoint]': env.sim.clientEndpoint }, '203.0.113.10');
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
    expectEnvelope(limited!.body, 'rate_limited');
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);
    expect(env.sim.stats.httpRequests).toBe(0);
    // The per-portal bucket map is never keyed by what a caller names.
    expect(bucketCount(env)).toBe(0);
    // Another address is not affected.
    await postForm(env.t, '/bitrix24/events', { event: 'ONUSERADD', 'auth[member_id]': 'x' }, '203.0.113.11').expect(401);
  });

  it('finding 6: forged installs are limited per address too, and never contact a caller-named host', async () => {
    env.sim.resetStats();
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await postForm(env.t, '/bitrix24/install', { 'auth[member_id]': `m${i}`, 'auth[access_token]': 'a', 'auth[refresh_token]': 'r', 'auth[application_token]': 't', 'auth[domain]': env.sim.domain }, '203.0.113.20');
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    expect(statuses.filter((s) => s === 401)).toHaveLength(20);
    // Each verified install asks only the allow-listed authorization server; the portal itself is not called.
    expect(env.sim.stats.restRequests).toBe(0);
    expect(env.sim.stats.refreshes.failed).toBe(20);
  });

  it('finding 6: events naming a stored portal are limited per portal, whatever address they come from', async () => {
    const account = await createAccount(env.t, 'Busy');
    await connectPortal(env.t, account, env.sim);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push((await postForm(env.t, '/bitrix24/events', { event: 'ONUSERADD', 'data[ID]': '1', 'auth[member_id]': env.sim.memberId, 'auth[application_token]': 'x' }, `198.51.100.${i + 1}`)).status);
    }
    expect(statuses).toEqual([...Array(8).fill(401), ...Array(4).fill(429)]);
    expect(bucketCount(env)).toBeLessThanOrEqual(1);
  });

  it('the OAuth callback is limited per address: a 429 page with Retry-After', async () => {
    const statuses: number[] = [];
    let last: request.Response | undefined;
    for (let i = 0; i < 22; i++) {
      last = await request(env.t.url).get('/bitrix24/oauth/callback?code=x&state=y&member_id=m&server_domain=z').set('X-Forwarded-For', '203.0.113.30');
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 20).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect(last!.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('finding 10: bad API keys are throttled per address before they cost a database query', async () => {
    const keys = env.t.app.get(ApiKeyService);
    const authenticate = jest.spyOn(keys, 'authenticate');
    try {
      const statuses: number[] = [];
      let limited: request.Response | undefined;
      for (let i = 0; i < 1000; i++) {
        const res = await request(env.t.url).get('/api/v1/me').set(bearer(`b24s_${'a'.repeat(10)}_${String(i).padStart(40, 'A')}`)).set('X-Forwarded-For', '203.0.113.40');
        statuses.push(res.status);
        if (res.status === 429) limited = res;
      }
      expect(statuses.filter((s) => s === 401)).toHaveLength(10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(990);
      expect(authenticate).toHaveBeenCalledTimes(10);
      expectEnvelope(limited!.body, 'rate_limited');
      expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);
      // A good key from another address still works.
      const account = await createAccount(env.t, 'Good');
      await request(env.t.url).get('/api/v1/me').set(bearer(account.ownerKey)).set('X-Forwarded-For', '203.0.113.41').expect(200);
    } finally {
      authenticate.mockRestore();
    }
  }, 120_000);
});
