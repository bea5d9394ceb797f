import { PortalSimulator } from './portal-simulator';
import { callApp, getJson, postJson } from './spec-helpers';

describe('PortalSimulator limits (limits.md) and fault switches', () => {
  let sim: PortalSimulator;
  let token: string;

  beforeEach(async () => {
    sim = await PortalSimulator.start({ people: 300, seed: 2 });
    token = sim.issueTokens().access_token;
  });

  afterEach(async () => {
    await sim.stop();
  });

  it('leaky bucket: the burst passes, the next request gets 503 QUERY_LIMIT_EXCEEDED, the bucket drains at 2/s', async () => {
    await sim.stop();
    const frozen = Date.now();
    sim = await PortalSimulator.start({ people: 300, seed: 2, clock: () => frozen });
    token = sim.issueTokens().access_token;
    const statuses: number[] = [];
    for (let i = 0; i < 51; i++) statuses.push((await callApp(sim, token, 'server.time')).status);
    expect(statuses.slice(0, 50).every((s) => s === 200)).toBe(true);
    const blocked = await callApp(sim, token, 'server.time');
    expect(statuses[50]).toBe(503);
    expect(blocked.status).toBe(503);
    expect(blocked.body).toEqual({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
    expect(sim.stats.rateLimited).toBe(2);
    expect(sim.stats.sent503).toBe(2);
    sim.advanceClock(1);
    expect((await callApp(sim, token, 'server.time')).status).toBe(200);
    expect((await callApp(sim, token, 'server.time')).status).toBe(200);
    expect((await callApp(sim, token, 'server.time')).status).toBe(503);
  });

  it('rateLimit: false turns the bucket off', async () => {
    const free = await PortalSimulator.start({ people: 5, rateLimit: false });
    try {
      const t = free.issueTokens().access_token;
      for (let i = 0; i < 80; i++) expect((await callApp(free, t, 'server.time')).status).toBe(200);
    } finally {
      await free.stop();
    }
  });

  it('storm503(n) answers the next n requests with 503', async () => {
    sim.faults.storm503(2);
    expect((await callApp(sim, token, 'user.get')).status).toBe(503);
    expect((await callApp(sim, token, 'user.get')).body.error).toBe('QUERY_LIMIT_EXCEEDED');
    expect((await callApp(sim, token, 'user.get')).status).toBe(200);
    expect(sim.stats.sent503).toBe(2);
    expect(sim.stats.rateLimited).toBe(0);
  });

  it('error500(n) answers the next n requests with 500 INTERNAL_SERVER_ERROR', async () => {
    sim.faults.error500(1);
    const failed = await callApp(sim, token, 'user.get');
    expect(failed.status).toBe(500);
    expect(failed.body.error).toBe('INTERNAL_SERVER_ERROR');
    expect((await callApp(sim, token, 'user.get')).status).toBe(200);
    expect(sim.stats.sent500).toBe(1);
  });

  it('slow(ms) delays answers until switched off', async () => {
    sim.faults.slow(300);
    let started = Date.now();
    await callApp(sim, token, 'server.time');
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    sim.faults.slow(0);
    started = Date.now();
    await callApp(sim, token, 'server.time');
    expect(Date.now() - started).toBeLessThan(250);
  });

  it('failMethodAfter(method, n) breaks call n+1 once: a plain call gets HTTP 500', async () => {
    sim.faults.failMethodAfter('user.get', 2);
    expect((await callApp(sim, token, 'user.get', { start: 0 })).status).toBe(200);
    expect((await callApp(sim, token, 'user.get', { start: 50 })).status).toBe(200);
    const third = await callApp(sim, token, 'user.get', { start: 100 });
    expect(third.status).toBe(500);
    expect(third.body.error).toBe('INTERNAL_SERVER_ERROR');
    expect((await callApp(sim, token, 'user.get', { start: 100 })).status).toBe(200);
    expect((await callApp(sim, token, 'server.time')).status).toBe(200);
  });

  it('failMethodAfter inside a batch: that sub-command lands in result_error', async () => {
    sim.faults.failMethodAfter('user.get', 2);
    const cmd: Record<string, string> = { a: 'user.get?start=0', b: 'user.get?start=50', c: 'user.get?start=100', d: 'user.get?start=150' };
    const answer = await callApp(sim, token, 'batch', { halt: 0, cmd });
    expect(answer.status).toBe(200);
    const batch = answer.body.result as { result: Record<string, unknown>; result_error: Record<string, { error: string }> };
    expect(Object.keys(batch.result)).toEqual(['a', 'b', 'd']);
    expect(batch.result_error.c.error).toBe('INTERNAL_SERVER_ERROR');
  });

  it('operatingLimit(method, s): 429 OPERATION_TIME_LIMIT for that method only, lifted at the reset', async () => {
    sim.faults.operatingLimit('user.get', 120);
    const blocked = await callApp(sim, token, 'user.get');
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({ error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit' });
    expect((await callApp(sim, token, 'department.get')).status).toBe(200);
    const inBatch = await callApp(sim, token, 'batch', { cmd: { u: 'user.get' } });
    expect((inBatch.body.result as { result_error: Record<string, { error: string }> }).result_error.u.error).toBe('OPERATION_TIME_LIMIT');
    expect(sim.stats.sent429).toBe(2);
    sim.advanceClock(121);
    expect((await callApp(sim, token, 'user.get')).status).toBe(200);
  });

  it('operatingLimit with afterCalls: the crossing call succeeds and shows operating and operating_reset_at', async () => {
    const before = Math.floor(Date.now() / 1000);
    sim.faults.operatingLimit('user.get', 90, { afterCalls: 1 });
    const crossing = await callApp(sim, token, 'user.get');
    expect(crossing.status).toBe(200);
    const time = crossing.body.time as { operating: number; operating_reset_at: number };
    expect(time.operating).toBeGreaterThan(480);
    expect(time.operating_reset_at).toBeGreaterThanOrEqual(before + 89);
    expect(time.operating_reset_at).toBeLessThanOrEqual(before + 92);
    expect((await callApp(sim, token, 'user.get')).status).toBe(429);
  });

  it('movePortal(): the old address answers 302 to the same path on the new one', async () => {
    const oldEndpoint = sim.clientEndpoint;
    const oldServer = sim.serverDomain;
    const newBase = await sim.movePortal();
    expect(newBase).not.toBe(oldEndpoint.replace('/rest/', ''));
    expect(sim.clientEndpoint).toBe(`${newBase}/rest/`);
    const moved = await getJson(`${oldEndpoint}user.get?auth=${token}&start=50`);
    expect(moved.status).toBe(302);
    expect(moved.headers.get('location')).toBe(`${sim.clientEndpoint}user.get?auth=${token}&start=50`);
    const followed = await getJson(String(moved.headers.get('location')));
    expect(followed.status).toBe(200);
    expect(sim.stats.redirects).toBe(1);
    // A POST is redirected too; the body is the client's problem (change-domen.md).
    const post = await postJson(oldEndpoint, 'user.get', { auth: token });
    expect(post.status).toBe(302);
    // The OAuth server does not move.
    expect(sim.serverDomain).toBe(oldServer);
    expect(sim.issueTokens().client_endpoint).toBe(sim.clientEndpoint);
  });

  it('faults.redirectRest(origin): every REST request answers 302 to that origin, same path and query; reset() ends it', async () => {
    sim.faults.redirectRest('https://0.0.0.0:8443');
    const answer = await getJson(`${sim.clientEndpoint}user.get?auth=${token}`);
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe(`https://0.0.0.0:8443/rest/user.get?auth=${token}`);
    expect(sim.stats.redirects).toBe(1);
    sim.faults.reset();
    expect((await callApp(sim, token, 'user.get')).status).toBe(200);
  });

  it('counts TCP connections and HTTP requests on every listener', async () => {
    sim.resetStats();
    await callApp(sim, token, 'profile');
    await fetch(`${sim.baseUrl}/`);
    expect(sim.stats.httpRequests).toBe(2);
    expect(sim.stats.connections).toBeGreaterThanOrEqual(1);
  });

  it('portalGone(): 403 PORTAL_DELETED', async () => {
    sim.portalGone();
    const answer = await callApp(sim, token, 'user.get');
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ error: 'PORTAL_DELETED', error_description: 'Portal was deleted' });
    sim.faults.reset();
    expect((await callApp(sim, token, 'user.get')).status).toBe(200);
  });

  it('connectionError(n): 401 CONNECTION_ERROR for application tokens only (rest/lib/oauth/auth.php)', async () => {
    sim.faults.connectionError(1);
    const hook = sim.createWebhook();
    expect((await postJson(hook, 'server.time')).status).toBe(200);
    const answer = await callApp(sim, token, 'user.get');
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: 'CONNECTION_ERROR', error_description: 'Error connecting to authorization server' });
    expect((await callApp(sim, token, 'user.get')).status).toBe(200);
  });

  it('respond(n, answer) with a method: only that top-level method answers it', async () => {
    sim.faults.respond(1, { method: 'batch', status: 403, error: 'ACCESS_DENIED', description: 'Access denied!' });
    expect((await callApp(sim, token, 'profile')).status).toBe(200);
    expect((await callApp(sim, token, 'batch', { cmd: { t: 'server.time' } })).body.error).toBe('ACCESS_DENIED');
    expect((await callApp(sim, token, 'batch', { cmd: { t: 'server.time' } })).status).toBe(200);
  });

  it('respond(n, answer): any status and code for the next n requests', async () => {
    sim.faults.respond(2, { status: 401, error: 'SOMETHING_NEW', description: 'Not in any table' });
    expect((await callApp(sim, token, 'profile')).body).toEqual({ error: 'SOMETHING_NEW', error_description: 'Not in any table' });
    expect((await callApp(sim, token, 'profile')).status).toBe(401);
    expect((await callApp(sim, token, 'profile')).status).toBe(200);
  });

  it('requireConfirmation(method): 401 METHOD_CONFIRM_WAITING until the administrator answers, per token (scopes/confirmation.md)', async () => {
    sim.faults.requireConfirmation('user.get');
    const waiting = await callApp(sim, token, 'user.get');
    expect(waiting.status).toBe(401);
    expect(waiting.body).toEqual({ error: 'METHOD_CONFIRM_WAITING', error_description: 'Waiting for confirmation' });
    const inBatch = await callApp(sim, token, 'batch', { cmd: { u: 'user.get', t: 'server.time' } });
    expect((inBatch.body.result as { result_error: Record<string, { error: string }> }).result_error.u.error).toBe('METHOD_CONFIRM_WAITING');
    expect((await postJson(sim.createWebhook(), 'user.get')).body.error).toBe('ACCESS_DENIED');
    sim.answerConfirmation('user.get', true);
    expect((await callApp(sim, token, 'user.get')).status).toBe(200);
    // A token issued after the answer must be confirmed again.
    const next = sim.issueTokens().access_token;
    expect((await callApp(sim, next, 'user.get')).body.error).toBe('METHOD_CONFIRM_WAITING');
    sim.answerConfirmation('user.get', false);
    const denied = await callApp(sim, next, 'user.get');
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ error: 'METHOD_CONFIRM_DENIED', error_description: 'Method call denied' });
  });

  it('methodCost: a heavy method reports its processing time and spends operating time; stats keep the largest', async () => {
    sim.setMethodCost('user.get', 4);
    const plain = await callApp(sim, token, 'user.get');
    expect((plain.body.time as { processing: number }).processing).toBeGreaterThanOrEqual(4);
    const batch = await callApp(sim, token, 'batch', { cmd: { a: 'user.get', b: 'user.get', c: 'server.time' } });
    const time = batch.body.time as { processing: number };
    expect(time.processing).toBeGreaterThanOrEqual(8);
    const sub = (batch.body.result as { result_time: Record<string, { operating: number }> }).result_time;
    expect(sub.b.operating).toBeGreaterThanOrEqual(12);
    expect(sim.stats.maxRequestProcessingSeconds).toBeGreaterThanOrEqual(8);
    expect(sim.stats.maxRequestProcessingSeconds).toBeLessThan(9);
    expect(sim.stats.maxOperatingSeconds).toBeGreaterThanOrEqual(12);
    sim.setMethodCost('user.get', 0);
    expect(((await callApp(sim, token, 'user.get')).body.time as { processing: number }).processing).toBeLessThan(1);
  });

  it('the operating window and its buckets can be shrunk: over the limit → 429, then the oldest bucket leaves', async () => {
    await sim.stop();
    let now = Date.now();
    sim = await PortalSimulator.start({ people: 60, clock: () => now, operatingLimitSeconds: 10, operatingWindowSeconds: 6, operatingBucketSeconds: 1, methodCost: { 'user.get': 4 } });
    token = sim.issueTokens().access_token;
    const first = await callApp(sim, token, 'user.get');
    const resetAt = (first.body.time as { operating_reset_at: number }).operating_reset_at;
    expect(resetAt * 1000).toBeLessThanOrEqual(now + 6000);
    now += 1500;
    await callApp(sim, token, 'user.get');
    now += 1500;
    expect((await callApp(sim, token, 'user.get')).status).toBe(200); // 12 s: this call crossed the limit
    expect((await callApp(sim, token, 'user.get')).status).toBe(429);
    now += 3100; // the first bucket (4 s) left: 8 s ≤ 10
    expect((await callApp(sim, token, 'user.get')).status).toBe(200);
  });

  it('faults.reset() clears storm, 500s, method failures and operating blocks', async () => {
    sim.faults.storm503(5);
    sim.faults.error500(5);
    sim.faults.failMethodAfter('user.get', 0);
    sim.faults.operatingLimit('department.get', 600);
    sim.faults.connectionError(5);
    sim.faults.respond(5, { status: 401, error: 'X' });
    sim.faults.requireConfirmation('user.get');
    sim.faults.reset();
    expect((await callApp(sim, token, 'user.get')).status).toBe(200);
    expect((await callApp(sim, token, 'department.get')).status).toBe(200);
  });

  it('resetStats() zeroes the counters', async () => {
    await callApp(sim, token, 'user.get');
    expect(sim.stats.restRequests).toBe(1);
    expect(sim.stats.perMethod['user.get']).toBe(1);
    sim.resetStats();
    expect(sim.stats.restRequests).toBe(0);
    expect(sim.stats.perMethod).toEqual({});
  });
});
