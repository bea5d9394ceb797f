import { parsePhpQuery, phpToPlain } from './php-wire';
import { PortalSimulator } from './portal-simulator';
import { callApp, postJson, startRecorder } from './spec-helpers';

type Form = Record<string, unknown> & { auth: Record<string, string>; data: Record<string, unknown> };

function parseForm(body: string): Form {
  return phpToPlain(parsePhpQuery(body)) as Form;
}

describe('PortalSimulator events (api-reference/events/*, common/events/*)', () => {
  let sim: PortalSimulator;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let token: string;

  beforeEach(async () => {
    sim = await PortalSimulator.start({ people: 40, rateLimit: false });
    recorder = await startRecorder();
    token = sim.issueTokens().access_token;
  });

  afterEach(async () => {
    await sim.stop();
    await recorder.close();
  });

  it('event.bind / event.get / event.unbind keep a handler list', async () => {
    const bind = await callApp(sim, token, 'event.bind', { event: 'onUserAdd', handler: `${recorder.url}/events` });
    expect(bind.body.result).toBe(true);
    const duplicate = await callApp(sim, token, 'event.bind', { event: 'ONUSERADD', handler: `${recorder.url}/events` });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.error).toBe('ERROR_HANDLER_ALREADY_EXIST');
    const unknown = await callApp(sim, token, 'event.bind', { event: 'ONNOTHING', handler: `${recorder.url}/x` });
    expect(unknown.body).toEqual({ error: 'ERROR_EVENT_NOT_FOUND', error_description: 'Event not found' });
    const list = await callApp(sim, token, 'event.get');
    expect(list.body.result).toEqual([{ event: 'ONUSERADD', handler: `${recorder.url}/events`, auth_type: '0', offline: 0 }]);
    const unbind = await callApp(sim, token, 'event.unbind', { event: 'ONUSERADD', handler: `${recorder.url}/events` });
    expect(unbind.body.result).toEqual({ count: 1 });
    expect((await callApp(sim, token, 'event.get')).body.result).toEqual([]);
  });

  it('event.bind needs an application context: a webhook gets ACCESS_DENIED', async () => {
    const hook = sim.createWebhook({ scope: ['user'] });
    const answer = await postJson(hook, 'event.bind', { event: 'ONUSERADD', handler: `${recorder.url}/e` });
    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe('ACCESS_DENIED');
  });

  it('fireOnUserAdd posts the documented form to every ONUSERADD handler, with a working token', async () => {
    await callApp(sim, token, 'event.bind', { event: 'ONUSERADD', handler: `${recorder.url}/events` });
    const user = sim.addUser({ NAME: 'Иван', LAST_NAME: 'Петров', EMAIL: 'ivan@romashka.ru', UF_DEPARTMENT: [1, 3] });
    const statuses = await sim.fireOnUserAdd(user.ID);
    expect(statuses).toEqual([200]);
    expect(recorder.posts).toHaveLength(1);
    const post = recorder.posts[0];
    expect(post.path).toBe('/events');
    expect(post.contentType).toBe('application/x-www-form-urlencoded');
    expect(post.body).toContain('data%5BUF_DEPARTMENT%5D%5B1%5D=3');
    const form = parseForm(post.body);
    expect(form.event).toBe('ONUSERADD');
    expect(form.event_handler_id).toMatch(/^\d+$/);
    expect(form.ts).toMatch(/^\d{10}$/);
    expect(form.data).toMatchObject({ ID: user.ID, ACTIVE: 'Y', NAME: 'Иван', LAST_NAME: 'Петров', EMAIL: 'ivan@romashka.ru', UF_DEPARTMENT: { 0: '1', 1: '3' } });
    expect(Object.keys(form.auth).sort()).toEqual(
      ['access_token', 'application_token', 'client_endpoint', 'domain', 'expires_in', 'member_id', 'scope', 'server_endpoint', 'status'].sort(),
    );
    expect(form.auth).toMatchObject({
      application_token: sim.applicationToken,
      member_id: sim.memberId,
      domain: sim.domain,
      client_endpoint: sim.clientEndpoint,
      expires_in: '3600',
      scope: 'user',
    });
    const me = await callApp(sim, form.auth.access_token, 'user.current');
    expect(me.status).toBe(200);
    expect(sim.stats.eventsPosted).toBe(1);
  });

  it('fireOnUserAdd reports the handler status', async () => {
    recorder.setStatus(500);
    await callApp(sim, token, 'event.bind', { event: 'ONUSERADD', handler: `${recorder.url}/broken` });
    expect(await sim.fireOnUserAdd(1)).toEqual([500]);
    expect(sim.deliveries[0]).toMatchObject({ event: 'ONUSERADD', status: 500 });
  });

  it('postInstall posts ONAPPINSTALL with a usable token pair and the application_token', async () => {
    const status = await sim.postInstall(`${recorder.url}/install`);
    expect(status).toBe(200);
    const form = parseForm(recorder.posts[0].body);
    expect(form.event).toBe('ONAPPINSTALL');
    expect(form.data).toEqual({ VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'ru' });
    expect(form.auth).toMatchObject({ application_token: sim.applicationToken, member_id: sim.memberId, scope: 'user department', expires_in: '3600' });
    expect(form.auth.refresh_token).toMatch(/^[a-z0-9]{32}$/);
    expect((await callApp(sim, form.auth.access_token, 'profile')).status).toBe(200);
  });

  it('postInstall can post as a chosen user: a non-administrator installer whose token answers user.admin false (user-admin.md)', async () => {
    const plain = sim.users.find((u) => !sim.adminUserIds.includes(Number(u.ID)))!;
    expect(await sim.postInstall(`${recorder.url}/install`, { userId: Number(plain.ID) })).toBe(200);
    const form = parseForm(recorder.posts[0].body);
    const current = await callApp(sim, form.auth.access_token, 'user.current');
    expect((current.body.result as { ID: string }).ID).toBe(plain.ID);
    expect((await callApp(sim, form.auth.access_token, 'user.admin')).body.result).toBe(false);
    expect((await callApp(sim, form.auth.access_token, 'app.info')).body.result).toMatchObject({ CODE: sim.clientId });
  });

  it('postUninstall posts ONAPPUNINSTALL without tokens to bound handlers and cuts API access', async () => {
    await callApp(sim, token, 'event.bind', { event: 'ONAPPUNINSTALL', handler: `${recorder.url}/uninstall` });
    const statuses = await sim.postUninstall(undefined, { clean: true });
    expect(statuses).toEqual([200]);
    const form = parseForm(recorder.posts[0].body);
    expect(form.event).toBe('ONAPPUNINSTALL');
    expect(form.data).toEqual({ LANGUAGE_ID: 'ru', CLEAN: '1' });
    expect(Object.keys(form.auth).sort()).toEqual(['application_token', 'client_endpoint', 'domain', 'member_id', 'server_endpoint']);
    const after = await callApp(sim, token, 'user.current');
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('invalid_token');
    const authorize = await fetch(sim.authorizeUrl('s'), { redirect: 'manual' });
    expect(authorize.status).toBe(400);
  });
});
