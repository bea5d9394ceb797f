import { parsePhpQuery, phpToPlain } from './php-wire';
import { PortalSimulator } from './portal-simulator';
import { callApp, startRecorder } from './spec-helpers';

/** settings/oauth/simple-way.md, settings/app-installation/installation-finish.md, on-app-update.md. */
describe('PortalSimulator: an application with its own page', () => {
  let sim: PortalSimulator;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;

  beforeEach(async () => {
    recorder = await startRecorder();
    sim = await PortalSimulator.start({ people: 5, rateLimit: false, interfaceApp: true, appUrl: `${recorder.url}/bitrix24/app` });
  });
  afterEach(async () => {
    await sim.stop();
    await recorder.close();
  });

  it('opening the app posts the documented query and form to the app page, with a working token pair of the user', async () => {
    const opened = await sim.openApp({ userId: 1 });
    expect(opened.portalRefused).toBe(false);
    expect(opened.status).toBe(200);
    const post = recorder.posts[0];
    const query = new URL(post.path, recorder.url).searchParams;
    expect(Object.fromEntries(query)).toEqual({ DOMAIN: sim.domain, PROTOCOL: '0', LANG: 'ru', APP_SID: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(post.contentType).toBe('application/x-www-form-urlencoded');
    const form = phpToPlain(parsePhpQuery(post.body)) as Record<string, string>;
    expect(Object.keys(form).sort()).toEqual(['APPLICATION_SCOPE', 'APPLICATION_TOKEN', 'AUTH_EXPIRES', 'AUTH_ID', 'PLACEMENT', 'REFRESH_ID', 'SERVER_ENDPOINT', 'member_id', 'status'].sort());
    expect(form).toMatchObject({ AUTH_EXPIRES: '3600', SERVER_ENDPOINT: sim.serverEndpoint, APPLICATION_TOKEN: sim.applicationToken, APPLICATION_SCOPE: 'user,department', member_id: sim.memberId, status: 'F', PLACEMENT: 'DEFAULT' });
    const admin = await callApp(sim, form.AUTH_ID, 'user.admin');
    expect(admin.body.result).toBe(true);
  });

  it('a placement open carries PLACEMENT_OPTIONS as a JSON string', async () => {
    await sim.openApp({ userId: 1, placement: 'REST_APP_URI', placementOptions: { docId: '42' } });
    const form = phpToPlain(parsePhpQuery(recorder.posts[0].body)) as Record<string, string>;
    expect(form.PLACEMENT).toBe('REST_APP_URI');
    expect(JSON.parse(form.PLACEMENT_OPTIONS)).toEqual({ docId: '42' });
  });

  it('app.info INSTALLED is false until installFinish; a regular user is stopped by the portal until then', async () => {
    const token = sim.issueTokens(1).access_token;
    expect((await callApp(sim, token, 'app.info')).body.result).toMatchObject({ INSTALLED: false });
    const regular = await sim.openApp({ userId: 2 });
    expect(regular).toMatchObject({ portalRefused: true, status: 0 });
    expect(regular.body).toContain('not fully installed yet');
    expect(recorder.posts).toHaveLength(0);
    sim.finishInstall();
    expect((await callApp(sim, token, 'app.info')).body.result).toMatchObject({ INSTALLED: true });
    expect((await sim.openApp({ userId: 2 })).portalRefused).toBe(false);
    expect(recorder.posts).toHaveLength(1);
  });

  it('the host page frames the app with the name the JS library reads, and only an administrator’s page may finish the installation', async () => {
    const page = await (await fetch(`${sim.baseUrl}/marketplace/app/?user=1`)).text();
    const sid = /name="127\.0\.0\.1:\d+\|0\|([0-9a-f]{32})"/.exec(page)?.[1];
    expect(sid).toBeDefined();
    expect(page).toContain(`action="${recorder.url}/bitrix24/app?DOMAIN=`);
    const regularPage = await (await fetch(`${sim.baseUrl}/marketplace/app/?user=2`)).text();
    expect(regularPage).toContain('not fully installed yet');
    expect((await fetch(`${sim.baseUrl}/marketplace/app/install-finish?sid=unknown`, { method: 'POST' })).status).toBe(403);
    expect(sim.appInstalled).toBe(false);
    expect((await fetch(`${sim.baseUrl}/marketplace/app/install-finish?sid=${sid}`, { method: 'POST' })).status).toBe(200);
    expect(sim.appInstalled).toBe(true);
  });

  it('ONAPPUPDATE carries versions, a working refresh token and the (optionally new) application token; an interface app must finish installing again', async () => {
    sim.finishInstall();
    const oldToken = sim.applicationToken;
    const statuses = await sim.postUpdate(`${recorder.url}/events`, { newApplicationToken: true });
    expect(statuses).toEqual([200]);
    const form = phpToPlain(parsePhpQuery(recorder.posts[0].body)) as { event: string; data: Record<string, string>; auth: Record<string, string> };
    expect(form.event).toBe('ONAPPUPDATE');
    expect(form.data).toEqual({ VERSION: '2', PREVIOUS_VERSION: '1', LANGUAGE_ID: 'ru' });
    expect(form.auth.application_token).toBe(sim.applicationToken);
    expect(sim.applicationToken).not.toBe(oldToken);
    expect(form.auth.refresh_token).toMatch(/^[a-z0-9]{32}$/);
    expect(sim.appInstalled).toBe(false);
    const refresh = await fetch(`http://${sim.serverDomain}/oauth/token/?grant_type=refresh_token&client_id=${sim.clientId}&client_secret=${sim.clientSecret}&refresh_token=${form.auth.refresh_token}`);
    expect(refresh.status).toBe(200);
  });
});
