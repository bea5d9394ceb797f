import { parsePhpQuery, phpToPlain } from './php-wire';
import { PortalSimulator } from './portal-simulator';
import { callApp, startRecorder } from './spec-helpers';

type Events = { process_id: string | null; events: Array<Record<string, unknown>> };

describe('PortalSimulator offline events (api-reference/events/offline-events.md, event-offline-*.md)', () => {
  let sim: PortalSimulator;
  let admin: string;

  beforeEach(async () => {
    sim = await PortalSimulator.start({ people: 10, rateLimit: false });
    admin = sim.issueTokens(1).access_token;
  });
  afterEach(async () => {
    await sim.stop();
  });

  const hire = async (): Promise<number> => {
    const user = sim.addUser({ NAME: 'Off', LAST_NAME: 'Line' });
    await sim.fireOnUserAdd(user.ID);
    return Number(user.ID);
  };

  it('event.bind with event_type=offline takes no handler, needs an administrator, and event.get shows it as offline', async () => {
    const plain = sim.issueTokens(2).access_token;
    const refused = await callApp(sim, plain, 'event.bind', { event: 'ONUSERADD', event_type: 'offline' });
    expect(refused).toMatchObject({ status: 403, body: { error: 'ACCESS_DENIED' } });
    expect((await callApp(sim, admin, 'event.bind', { event: 'ONUSERADD', event_type: 'offline' })).body.result).toBe(true);
    expect((await callApp(sim, admin, 'event.bind', { event: 'ONUSERADD', event_type: 'offline' })).body.error).toBe('ERROR_HANDLER_ALREADY_EXIST');
    expect((await callApp(sim, admin, 'event.bind', { event: 'ONUSERADD', handler: 'http://127.0.0.1:9/events' })).body.result).toBe(true);
    expect((await callApp(sim, admin, 'event.get')).body.result).toEqual([
      { event: 'ONUSERADD', connector_id: '', offline: 1 },
      { event: 'ONUSERADD', handler: 'http://127.0.0.1:9/events', auth_type: '0', offline: 0 },
    ]);
  });

  it('a new user is queued while the online handler is unreachable, and event.offline.get (clear=1) returns it once', async () => {
    await callApp(sim, admin, 'event.bind', { event: 'ONUSERADD', event_type: 'offline' });
    await callApp(sim, admin, 'event.bind', { event: 'ONUSERADD', handler: 'http://127.0.0.1:9/events' });
    const user = sim.addUser({ NAME: 'Down', LAST_NAME: 'Time' });
    expect(await sim.fireOnUserAdd(user.ID)).toEqual([0]);
    const got = (await callApp(sim, admin, 'event.offline.get')).body.result as Events;
    expect(got.process_id).toBeNull();
    expect(got.events).toHaveLength(1);
    expect(got.events[0]).toMatchObject({ ID: expect.any(String), EVENT_NAME: 'ONUSERADD', EVENT_DATA: { ID: Number(user.ID) }, EVENT_ADDITIONAL: { user_id: 1 }, MESSAGE_ID: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(String(got.events[0].TIMESTAMP_X)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+03:00$/);
    expect(((await callApp(sim, admin, 'event.offline.get')).body.result as Events).events).toEqual([]);
  });

  it('nothing is queued without an offline binding; the same change twice stays one record', async () => {
    await hire();
    expect(sim.offlineQueue.all).toHaveLength(0);
    await callApp(sim, admin, 'event.bind', { event: 'ONUSERADD', event_type: 'offline' });
    const user = sim.addUser({ NAME: 'Twice' });
    await sim.fireOnUserAdd(user.ID);
    await sim.fireOnUserAdd(user.ID);
    expect(sim.offlineQueue.all).toHaveLength(1);
  });

  it('clear=0 reserves a batch under a process_id hidden from others; process_id re-reads it; event.offline.clear removes it', async () => {
    await callApp(sim, admin, 'event.bind', { event: 'ONUSERADD', event_type: 'offline' });
    const first = await hire();
    const reserved = (await callApp(sim, admin, 'event.offline.get', { clear: 0, limit: 50 })).body.result as Events;
    expect(reserved.process_id).toMatch(/^[0-9a-f]{32}$/);
    expect(reserved.events.map((e) => (e.EVENT_DATA as { ID: number }).ID)).toEqual([first]);
    const second = await hire();
    const other = (await callApp(sim, admin, 'event.offline.get', { clear: 0 })).body.result as Events;
    expect(other.events.map((e) => (e.EVENT_DATA as { ID: number }).ID)).toEqual([second]);
    // A crash between reading and importing: the reserved batch is still there under its process_id.
    const again = (await callApp(sim, admin, 'event.offline.get', { process_id: reserved.process_id, clear: 0 })).body.result as Events;
    expect(again).toEqual({ process_id: reserved.process_id, events: reserved.events });
    const listed = await callApp(sim, admin, 'event.offline.list');
    expect(listed.body.total).toBe(2);
    expect((listed.body.result as Array<Record<string, unknown>>).map((r) => r.PROCESS_ID)).toEqual([reserved.process_id, other.process_id]);
    expect((listed.body.result as Array<Record<string, unknown>>)[0].ERROR).toBe('0');
    expect((await callApp(sim, admin, 'event.offline.clear', { process_id: reserved.process_id })).body.result).toBe(true);
    expect(sim.offlineQueue.all.map((r) => r.processId)).toEqual([other.process_id]);
    const missing = await callApp(sim, admin, 'event.offline.clear', {});
    expect(missing).toMatchObject({ status: 400, body: { error: 'ERROR_ARGUMENT' } });
  });

  it('event.offline.error turns records into error records, returned only with error=1', async () => {
    await callApp(sim, admin, 'event.bind', { event: 'ONUSERADD', event_type: 'offline' });
    await hire();
    const reserved = (await callApp(sim, admin, 'event.offline.get', { clear: 0 })).body.result as Events;
    const messageId = String(reserved.events[0].MESSAGE_ID);
    expect((await callApp(sim, admin, 'event.offline.error', { process_id: reserved.process_id, message_id: [messageId] })).body.result).toBe(true);
    expect(((await callApp(sim, admin, 'event.offline.get', { clear: 0 })).body.result as Events).events).toEqual([]);
    const errors = (await callApp(sim, admin, 'event.offline.get', { error: 1 })).body.result as Events;
    expect(errors.events.map((e) => e.MESSAGE_ID)).toEqual([messageId]);
  });

  it('filters take the documented operations and fields only; list filters by PROCESS_ID', async () => {
    await callApp(sim, admin, 'event.bind', { event: 'ONUSERADD', event_type: 'offline' });
    await hire();
    await hire();
    const reserved = (await callApp(sim, admin, 'event.offline.get', { clear: 0, limit: 1, filter: { EVENT_NAME: 'ONUSERADD' } })).body.result as Events;
    expect(reserved.events).toHaveLength(1);
    const busy = await callApp(sim, admin, 'event.offline.list', { filter: { '>PROCESS_ID': '' } });
    expect((busy.body.result as unknown[]).length).toBe(1);
    expect((await callApp(sim, admin, 'event.offline.get', { filter: { '!EVENT_NAME': 'X' } })).body).toMatchObject({ error: 'ERROR_ARGUMENT' });
    expect((await callApp(sim, admin, 'event.offline.get', { filter: { PROCESS_ID: 'x' } })).body).toMatchObject({ error: 'ERROR_ARGUMENT' });
    expect((await callApp(sim, admin, 'event.offline.get', { limit: 0 })).body).toMatchObject({ error: 'ERROR_ARGUMENT' });
  });

  it('clear=0 without the rest_offline_extended feature is 403 WRONG_LICENSE; clear=1 still works', async () => {
    await sim.stop();
    sim = await PortalSimulator.start({ people: 3, rateLimit: false, offlineExtended: false });
    admin = sim.issueTokens(1).access_token;
    await callApp(sim, admin, 'event.bind', { event: 'ONUSERADD', event_type: 'offline' });
    await hire();
    expect((await callApp(sim, admin, 'event.offline.get', { clear: 0 })).body).toMatchObject({ error: 'WRONG_LICENSE' });
    expect(((await callApp(sim, admin, 'event.offline.get')).body.result as Events).events).toHaveLength(1);
  });

  it('offline methods need an application token of an administrator', async () => {
    const plain = sim.issueTokens(2).access_token;
    expect(await callApp(sim, plain, 'event.offline.get')).toMatchObject({ status: 403, body: { error: 'ACCESS_DENIED', error_description: 'Access denied!' } });
    const hook = sim.createWebhook();
    const viaHook = await fetch(`${hook}event.offline.list`);
    expect(((await viaHook.json()) as { error: string }).error).toBe('WRONG_AUTH_TYPE');
  });

  it('an interface app queues and posts nothing until its installation is finished; uninstall empties the queue', async () => {
    await sim.stop();
    const recorder = await startRecorder();
    try {
      sim = await PortalSimulator.start({ people: 3, rateLimit: false, interfaceApp: true });
      admin = sim.issueTokens(1).access_token;
      await callApp(sim, admin, 'event.bind', { event: 'ONUSERADD', event_type: 'offline' });
      await callApp(sim, admin, 'event.bind', { event: 'ONUSERADD', handler: `${recorder.url}/events` });
      expect(await sim.fireOnUserAdd(sim.addUser().ID)).toEqual([]);
      expect(sim.offlineQueue.all).toHaveLength(0);
      sim.finishInstall();
      expect(await sim.fireOnUserAdd(sim.addUser().ID)).toEqual([200]);
      expect(sim.offlineQueue.all).toHaveLength(1);
      const posted = phpToPlain(parsePhpQuery(recorder.posts[0].body)) as { event: string };
      expect(posted.event).toBe('ONUSERADD');
      await sim.postUninstall();
      expect(sim.offlineQueue.all).toHaveLength(0);
    } finally {
      await recorder.close();
    }
  });
});
