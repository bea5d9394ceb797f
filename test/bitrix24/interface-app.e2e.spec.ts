import request from 'supertest';
import { TokenCipher } from '../../src/common/crypto/token-cipher';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { connectionRow, storedState } from '../support/security';
import { runPollerOnce } from '../support/sync';

/**
 * Issue 11, item 3: an application with its own interface. Bitrix24 posts its page when an
 * administrator opens it (settings/oauth/simple-way.md), events flow only after the page
 * calls installFinish (settings/app-installation/installation-finish.md).
 */
describe('an application with its own page (interface app)', () => {
  let env: PortalAndApp;
  let acme: TestAccount;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 8, seed: 31, interfaceApp: true, shares: { dismissed: 0, emailMissing: 0, emailInvalid: 0, missingLastName: 0, emailShared: 0, extranet: 0 } });
    env.sim.appUrl = `${env.t.url}/bitrix24/app`;
    acme = await createAccount(env.t, 'Acme');
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  const view = async (id: string) => (await request(env.t.url).get(`/api/v1/bitrix24/connections/${id}`).set(bearer(acme.ownerKey)).expect(200)).body;

  it('a regular user is stopped by the portal; the same user posting their genuine tokens to the page directly gets 403 and nothing is stored', async () => {
    expect((await env.sim.openApp({ userId: 2 })).portalRefused).toBe(true);
    const before = await storedState(env.t);
    const forced = await env.sim.openApp({ userId: 2, bypassPortal: true });
    expect(forced.status).toBe(403);
    expect(forced.body).toContain('A Bitrix24 administrator must open this application first');
    expect(forced.headers.get('content-type')).toContain('text/html');
    // The refusal names no stored portal, and may be framed only by the origin the post claims.
    expect(forced.headers.get('content-security-policy')).toContain(`frame-ancestors http://${env.sim.domain}`);
    expect(await storedState(env.t)).toBe(before);
    expect(await connectionRow(env.t, env.sim.memberId)).toBeUndefined();
  });

  it('an administrator opening the installer: verified like any install, application token stored from the page, handlers bound, INSTALLED false until installFinish', async () => {
    const refreshes = env.sim.stats.refreshes.ok;
    const opened = await env.sim.openApp({ userId: 1 });
    expect(opened.status).toBe(200);
    expect(env.sim.stats.refreshes.ok).toBe(refreshes + 1); // our own refresh proved the post
    const csp = opened.headers.get('content-security-policy')!;
    expect(csp).toContain(`frame-ancestors ${env.sim.baseUrl}`);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(opened.headers.get('x-frame-options')).toBeNull();
    expect(opened.body).toContain('Finishing the installation');
    expect(opened.body).toContain('/bitrix24/app/assets/b24jssdk.js');
    expect(opened.body).toContain('not connected yet');

    const row = (await connectionRow(env.t, env.sim.memberId))!;
    expect(row).toMatchObject({ account_id: null, state: 'active', app_installed: false, client_endpoint: env.sim.clientEndpoint });
    expect(env.t.app.get(TokenCipher).open(String(row.application_token_enc))).toBe(env.sim.applicationToken);
    expect(row.bound_events).toEqual(['ONAPPUNINSTALL', 'ONAPPUPDATE', 'ONUSERADD']);
    expect(row.bound_offline_events).toEqual(['ONUSERADD']);
    expect(env.sim.eventHandlers.map((h) => `${h.event}:${h.offline ? 'offline' : h.handler}`).sort()).toEqual(
      ['ONAPPUNINSTALL', 'ONAPPUPDATE', 'ONUSERADD'].map((e) => `${e}:${env.t.url}/bitrix24/events`).concat('ONUSERADD:offline').sort(),
    );
  });

  it('bound to the account by OAuth, the connection shows the installation state through the API: not finished, so no pushed events', async () => {
    const id = await connectPortal(env.t, acme, env.sim);
    const body = await view(id);
    expect(body.installation).toMatchObject({ installFinished: false, eventsBound: ['ONAPPUNINSTALL', 'ONAPPUPDATE', 'ONUSERADD'], offlineEvents: true, offlineError: null });
    expect(Date.parse(body.installation.checkedAt)).not.toBeNaN();
    expect(body.pushedEvents).toMatchObject({ enabled: false, reason: 'installation_not_finished' });
    expect(body.pushedEvents.hint).toContain('administrator must open the application');
  });

  it('installFinish, then the page’s check (sealed ticket): app.info INSTALLED true, pushed events work', async () => {
    const opened = await env.sim.openApp({ userId: 1 });
    const config = JSON.parse(/<script type="application\/json" id="frame-config">(.*?)<\/script>/.exec(opened.body)![1]) as { ticket: string; finishInstall: boolean };
    expect(config.finishInstall).toBe(true);
    env.sim.finishInstall(); // what the portal does on BX24.installFinish() (the browser test plays the real library)
    const checked = await request(env.t.url).post('/bitrix24/app/installed').send({ ticket: config.ticket }).expect(200);
    expect(checked.body.installation).toMatchObject({ installFinished: true, offlineEvents: true });
    const [id] = [(await connectionRow(env.t, env.sim.memberId))!.id as string];
    expect((await view(id)).pushedEvents).toEqual({ enabled: true, reason: null, hint: null });
    const hire = env.sim.addUser({ NAME: 'Frame', LAST_NAME: 'Hire', EMAIL: 'frame.hire@example.com' });
    expect(await env.sim.fireOnUserAdd(hire.ID)).toEqual([200]);
    await runPollerOnce(env.t, false);
    const found = await request(env.t.url).get('/api/v1/employees?q=frame.hire').set(bearer(acme.ownerKey)).expect(200);
    expect(found.body.items).toHaveLength(1);
    // The page now shows the finished installation and asks for nothing.
    const again = await env.sim.openApp({ userId: 1 });
    expect(again.body).not.toContain('Finishing the installation');
    expect(again.body).toContain('<dt>Installation finished</dt><dd>yes</dd>');
  });

  it('a forged, expired or foreign ticket is refused without calling Bitrix24', async () => {
    const cipher = env.t.app.get(TokenCipher);
    const before = env.sim.stats.restRequests;
    const id = (await connectionRow(env.t, env.sim.memberId))!.id as string;
    for (const ticket of ['garbage', cipher.seal(JSON.stringify({ c: id, m: env.sim.memberId, x: Date.now() - 1 })), cipher.seal(JSON.stringify({ c: id, m: 'other', x: Date.now() + 60_000 })), 42]) {
      const res = await request(env.t.url).post('/bitrix24/app/installed').send({ ticket }).expect(401);
      expect(res.body.error.code).toBe('app_ticket_invalid');
    }
    expect(env.sim.stats.restRequests).toBe(before);
  });

  it('a portal user who opened the app holds the application token, but an ONAPPUNINSTALL with it uninstalls nothing while our credentials still work', async () => {
    const opened = await env.sim.openApp({ userId: 3, bypassPortal: false });
    expect(opened.status).toBe(403); // a regular user: refused, but Bitrix24 handed them APPLICATION_TOKEN all the same
    const before = await storedState(env.t);
    const res = await request(env.t.url).post('/bitrix24/events').type('form').send(`event=ONAPPUNINSTALL&auth[member_id]=${env.sim.memberId}&auth[application_token]=${env.sim.applicationToken}`).expect(409);
    expect(res.body.error.code).toBe('uninstall_not_confirmed');
    expect(await storedState(env.t)).toBe(before);
    // The real uninstall removes the app's access first (on-app-uninstall.md): then it is honoured.
    const [id] = [(await connectionRow(env.t, env.sim.memberId))!.id as string];
    const other = await startPortalAndApp({ people: 2, interfaceApp: true }, { database: env.t.database });
    try {
      other.sim.appUrl = `${other.t.url}/bitrix24/app`;
      expect((await other.sim.openApp({ userId: 1 })).status).toBe(200);
      expect(await other.sim.postUninstall()).toEqual([200]);
      expect((await connectionRow(other.t, other.sim.memberId))!.state).toBe('uninstalled');
    } finally {
      await other.t.close();
      await other.sim.stop();
    }
    expect((await view(id)).state).toBe('active');
  });

  it('placement posts go to the same handler and are verified the same way', async () => {
    const widget = await env.sim.openApp({ userId: 1, placement: 'REST_APP_URI', placementOptions: { docId: '42' } });
    expect(widget.status).toBe(200);
    const regular = await env.sim.openApp({ userId: 3, placement: 'REST_APP_URI' });
    expect(regular.status).toBe(403);
  });

  it('malformed or incomplete posts are a 4xx: the error envelope for API clients, a page for browsers; nothing is called', async () => {
    const before = env.sim.stats.httpRequests;
    const json = await request(env.t.url).post('/bitrix24/app').type('form').send(`AUTH_ID[]=x&REFRESH_ID=r&member_id=${env.sim.memberId}`).expect(400);
    expect(json.body.error.code).toBe('app_page_post_invalid');
    const html = await request(env.t.url).post('/bitrix24/app?DOMAIN=evil.example&PROTOCOL=1').set('Accept', 'text/html').type('form').send({}).expect(400);
    expect(html.text).toContain('Open this application from Bitrix24');
    // A post that is not even well formed did not come from a portal: it may not be framed at all.
    expect(html.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    await request(env.t.url).post('/bitrix24/app').type('form').send({ AUTH_ID: 'a', REFRESH_ID: 'garbage', member_id: env.sim.memberId }).expect(401);
    expect(env.sim.stats.httpRequests - before).toBe(1); // only the refusing refresh at the authorization server
    const outside = await request(env.t.url).get('/bitrix24/app').expect(200);
    expect(outside.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('the page’s files are served from this origin, the JS SDK included; nothing else is', async () => {
    const sdk = await request(env.t.url).get('/bitrix24/app/assets/b24jssdk.js').expect(200);
    expect(sdk.headers['content-type']).toContain('javascript');
    expect(sdk.text).toContain('initializeB24Frame');
    await request(env.t.url).get('/bitrix24/app/assets/app-frame.js').expect(200);
    await request(env.t.url).get('/bitrix24/app/assets/..%2Fapp-frame.service.ts').expect(404);
  });
});
