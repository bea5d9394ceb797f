import { PortalSimulator, type TokenResponse } from './portal-simulator';
import { callApp, codeFlow, getJson, postForm } from './spec-helpers';

describe('PortalSimulator OAuth (settings/oauth/index.md, auto-renewal.md, error-codes.md)', () => {
  let sim: PortalSimulator;

  beforeEach(async () => {
    sim = await PortalSimulator.start({ people: 30, redirectUri: 'http://localhost:3000/bitrix24/oauth/callback', rateLimit: false });
  });

  afterEach(async () => {
    await sim.stop();
  });

  it('exposes addresses of a portal listening on 127.0.0.1', () => {
    expect(sim.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.domain).toBe(sim.baseUrl.replace('http://', ''));
    expect(sim.clientEndpoint).toBe(`${sim.baseUrl}/rest/`);
    expect(sim.serverDomain).toBe(sim.domain);
    expect(sim.memberId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('redirects /oauth/authorize/ to the redirect URI with exactly the documented parameters', async () => {
    const response = await fetch(sim.authorizeUrl('my-state'), { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe('http://localhost:3000/bitrix24/oauth/callback');
    expect([...location.searchParams.keys()]).toEqual(['code', 'state', 'domain', 'member_id', 'scope', 'server_domain']);
    expect(location.searchParams.get('state')).toBe('my-state');
    expect(location.searchParams.get('domain')).toBe(sim.domain);
    expect(location.searchParams.get('member_id')).toBe(sim.memberId);
    expect(location.searchParams.get('scope')).toBe('user,department');
    expect(response.headers.get('location')).toContain('scope=user%2Cdepartment');
    expect(location.searchParams.get('server_domain')).toBe(sim.serverDomain);
  });

  it('shows an error page and does not redirect for an unknown client_id', async () => {
    const response = await fetch(`${sim.baseUrl}/oauth/authorize/?client_id=app.unknown&state=x`, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });

  it('exchanges a code for the documented token JSON, once', async () => {
    const { redirect, tokens } = await codeFlow(sim);
    expect(Object.keys(tokens).sort()).toEqual(
      ['access_token', 'client_endpoint', 'domain', 'expires', 'expires_in', 'member_id', 'refresh_token', 'scope', 'server_endpoint', 'status', 'user_id'].sort(),
    );
    expect(tokens.client_endpoint).toBe(sim.clientEndpoint);
    expect(tokens.server_endpoint).toBe(`http://${sim.serverDomain}/rest/`);
    expect(tokens.domain).toBe(sim.serverDomain);
    expect(tokens.member_id).toBe(sim.memberId);
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.expires).toBeGreaterThan(Date.now() / 1000 + 3590);
    expect(tokens.scope).toBe('user,department');
    expect(tokens.user_id).toBe(1);
    expect(tokens.access_token).not.toBe(tokens.refresh_token);
    expect(sim.stats.tokenExchanges).toBe(1);
    expect(sim.stats.secretsReceived).toBe(1);

    const again = await getJson(
      `${sim.baseUrl}/oauth/token/?grant_type=authorization_code&client_id=${sim.clientId}&client_secret=${sim.clientSecret}&code=${redirect.searchParams.get('code')}`,
    );
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
    expect(sim.stats.tokenExchangesFailed).toBe(1);

    const me = await callApp(sim, tokens.access_token, 'user.current');
    expect(me.status).toBe(200);
    expect((me.body.result as { ID: string }).ID).toBe('1');
  });

  it('refuses a code older than 30 seconds', async () => {
    const response = await fetch(sim.authorizeUrl('s'), { redirect: 'manual' });
    const code = new URL(response.headers.get('location') ?? '').searchParams.get('code');
    sim.advanceClock(31);
    const answer = await postForm(`${sim.baseUrl}/oauth/token/`, `grant_type=authorization_code&client_id=${sim.clientId}&client_secret=${sim.clientSecret}&code=${code}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
  });

  it('answers invalid_client for a wrong client_secret', async () => {
    const response = await fetch(sim.authorizeUrl('s'), { redirect: 'manual' });
    const code = new URL(response.headers.get('location') ?? '').searchParams.get('code');
    const answer = await getJson(`${sim.baseUrl}/oauth/token/?grant_type=authorization_code&client_id=${sim.clientId}&client_secret=wrong&code=${code}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_client');
  });

  it('rotates refresh tokens: the old one is refused the second time, the old access token still works', async () => {
    const { tokens } = await codeFlow(sim);
    const refresh = (token: string): Promise<{ status: number; body: Record<string, unknown> }> =>
      postForm(`http://${sim.serverDomain}/oauth/token/`, `grant_type=refresh_token&client_id=${sim.clientId}&client_secret=${sim.clientSecret}&refresh_token=${token}`);

    const first = await refresh(tokens.refresh_token);
    expect(first.status).toBe(200);
    const renewed = first.body as unknown as TokenResponse;
    expect(renewed.refresh_token).not.toBe(tokens.refresh_token);
    expect(renewed.access_token).not.toBe(tokens.access_token);

    const reuse = await refresh(tokens.refresh_token);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    expect(sim.stats.refreshes).toEqual({ ok: 1, failed: 1, lost: 0 });

    expect((await callApp(sim, tokens.access_token, 'server.time')).status).toBe(200);
    expect((await callApp(sim, renewed.access_token, 'server.time')).status).toBe(200);
    expect((await refresh(renewed.refresh_token)).status).toBe(200);
  });

  it('slowTokenAnswer: the pair is rotated at once and answered late; a client that hung up has lost it', async () => {
    const { tokens } = await codeFlow(sim);
    const url = `http://${sim.serverDomain}/oauth/token/?grant_type=refresh_token&client_id=${sim.clientId}&client_secret=${sim.clientSecret}`;
    sim.faults.slowTokenAnswer(400);
    await expect(fetch(`${url}&refresh_token=${tokens.refresh_token}`, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 500));
    expect(sim.stats.refreshes).toEqual({ ok: 1, failed: 0, lost: 1 });
    // Rotated: the presented token is spent although its answer never arrived.
    const spent = await fetch(`${url}&refresh_token=${tokens.refresh_token}`);
    expect(spent.status).toBe(400);
    expect(((await spent.json()) as { error: string }).error).toBe('invalid_grant');
    // A client that waits gets the late answer (and a usable pair).
    const other = sim.issueTokens();
    const late = await fetch(`${url}&refresh_token=${other.refresh_token}`);
    expect(late.status).toBe(200);
    const renewed = (await late.json()) as TokenResponse;
    expect((await callApp(sim, renewed.access_token, 'server.time')).status).toBe(200);
    expect(sim.stats.refreshes).toEqual({ ok: 2, failed: 1, lost: 1 });
    sim.faults.reset();
    expect(sim.faults.tokenAnswerDelayMs).toBe(0);
  });

  it('the refresh answer carries what settings/oauth/auto-renewal.md lists, for the token\'s own user and portal', async () => {
    const installer = sim.users.find((u) => !sim.adminUserIds.includes(Number(u.ID)))!;
    const pair = sim.issueTokens(Number(installer.ID));
    const answer = await postForm(`http://${sim.serverDomain}/oauth/token/`, `grant_type=refresh_token&client_id=${sim.clientId}&client_secret=${sim.clientSecret}&refresh_token=${pair.refresh_token}`);
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(['access_token', 'client_endpoint', 'domain', 'expires', 'expires_in', 'member_id', 'refresh_token', 'scope', 'server_endpoint', 'status', 'user_id']);
    expect(answer.body).toMatchObject({ member_id: sim.memberId, client_endpoint: sim.clientEndpoint, server_endpoint: sim.serverEndpoint, domain: sim.serverDomain, user_id: Number(installer.ID), expires_in: 3600 });
    // After a move the answer names the new address: the trusted source of a portal's address.
    const moved = await sim.movePortal();
    const again = await postForm(`http://${sim.serverDomain}/oauth/token/`, `grant_type=refresh_token&client_id=${sim.clientId}&client_secret=${sim.clientSecret}&refresh_token=${answer.body.refresh_token}`);
    expect(again.body.client_endpoint).toBe(`${moved}/rest/`);
  });

  it('expireAccessTokens(): old tokens answer 401 expired_token, refreshing fixes it', async () => {
    const { tokens } = await codeFlow(sim);
    sim.expireAccessTokens();
    const expired = await callApp(sim, tokens.access_token, 'user.current');
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ error: 'expired_token', error_description: 'The access token provided has expired' });
    const renewed = await postForm(`${sim.baseUrl}/oauth/token/`, `grant_type=refresh_token&client_id=${sim.clientId}&client_secret=${sim.clientSecret}&refresh_token=${tokens.refresh_token}`);
    expect((await callApp(sim, String(renewed.body.access_token), 'user.current')).status).toBe(200);
  });

  it('access tokens expire after accessTokenTtlSeconds', async () => {
    const { tokens } = await codeFlow(sim);
    sim.advanceClock(3601);
    const answer = await callApp(sim, tokens.access_token, 'profile');
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('expired_token');
  });

  it('revokeRefreshTokens(): refresh answers invalid_grant', async () => {
    const { tokens } = await codeFlow(sim);
    sim.revokeRefreshTokens();
    const answer = await postForm(`${sim.baseUrl}/oauth/token/`, `grant_type=refresh_token&client_id=${sim.clientId}&client_secret=${sim.clientSecret}&refresh_token=${tokens.refresh_token}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
    expect(sim.stats.refreshes.failed).toBe(1);
  });

  it('answers NO_AUTH_FOUND without auth and invalid_token for an unknown token', async () => {
    const none = await getJson(`${sim.clientEndpoint}user.current`);
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('NO_AUTH_FOUND');
    const unknown = await getJson(`${sim.clientEndpoint}user.current?auth=nope`);
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toBe('invalid_token');
  });

  it('paymentRequired(): REST and token requests answer PAYMENT_REQUIRED until switched off', async () => {
    const { tokens } = await codeFlow(sim);
    sim.paymentRequired(true);
    const rest = await callApp(sim, tokens.access_token, 'user.current');
    expect(rest.body).toEqual({ error: 'PAYMENT_REQUIRED', error_description: 'Payment required' });
    const refresh = await postForm(`${sim.baseUrl}/oauth/token/`, `grant_type=refresh_token&client_id=${sim.clientId}&client_secret=${sim.clientSecret}&refresh_token=${tokens.refresh_token}`);
    expect(refresh.body.error).toBe('PAYMENT_REQUIRED');
    sim.paymentRequired(false);
    expect((await callApp(sim, tokens.access_token, 'user.current')).status).toBe(200);
  });

  it('counts a client_secret sent to the portal itself as a leak', async () => {
    const tokens = sim.issueTokens();
    await callApp(sim, tokens.access_token, 'server.time', { client_secret: sim.clientSecret });
    expect(sim.stats.secretLeaksToPortal).toBe(1);
    expect(sim.stats.secretsReceived).toBe(0);
  });
});
