import fc from 'fast-check';
import request from 'supertest';
import { encodeKeysetCursor } from '../../src/common/keyset-cursor';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { expectEnvelope, postForm, storedState } from '../support/security';
import { synchronize } from '../support/sync';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const UUID = '6f1c2d3e-4a5b-4c6d-8e7f-901234567890';

/** Issue 10, finding 7: every malformed field is a 4xx with the error envelope, never a 500, and nothing stored changes. */
describe('security: malformed input', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let runId: string;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 8 }, { env: { PUBLIC_RATE_LIMIT_PER_MINUTE: '100000', PORTAL_RATE_LIMIT_PER_MINUTE: '100000' } });
    acme = await createAccount(env.t, 'Acme');
    const id = await connectPortal(env.t, acme, env.sim);
    await env.sim.postInstall(`${env.t.url}/bitrix24/install`);
    runId = (await synchronize(env.t, acme, id)).id;
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  const member = () => env.sim.memberId;

  it.each<[string, 'form' | 'json', (memberId: string) => unknown]>([
    ['auth[application_token][]=x', 'form', (m) => `event=ONUSERADD&data[ID]=1&auth[member_id]=${m}&auth[application_token][]=x`],
    ['auth[application_token][k]=x', 'form', (m) => `event=ONAPPUNINSTALL&auth[member_id]=${m}&auth[application_token][k]=x`],
    ['auth[member_id][]=x', 'form', () => 'event=ONAPPUNINSTALL&auth[member_id][]=x&auth[application_token]=t'],
    ['event[]=ONAPPUNINSTALL', 'form', (m) => `event[]=ONAPPUNINSTALL&auth[member_id]=${m}&auth[application_token]=t`],
    ['auth=string', 'form', () => 'event=ONUSERADD&auth=abc'],
    ['data[ID][]=abc', 'form', (m) => `event=ONUSERADD&data[ID][]=abc&auth[member_id]=${m}&auth[application_token]=t`],
    ['application token as a JSON object', 'json', (m) => ({ event: 'ONUSERADD', data: { ID: 1 }, auth: { member_id: m, application_token: { $ne: null } } })],
    ['application token as a number', 'json', (m) => ({ event: 'ONAPPUNINSTALL', auth: { member_id: m, application_token: 12345 } })],
    ['member_id as a number', 'json', () => ({ event: 'ONAPPUNINSTALL', auth: { member_id: 7, application_token: 't' } })],
    ['event as an object', 'json', (m) => ({ event: { toUpperCase: 1 }, auth: { member_id: m, application_token: 't' } })],
    ['auth as an array', 'json', () => ({ event: 'ONUSERADD', auth: ['x'] })],
    ['data as a string', 'json', (m) => ({ event: 'ONUSERADD', data: 'x', auth: { member_id: m, application_token: 't' } })],
    ['a JSON array body', 'json', () => [1, 2, 3]],
    ['a control character in a token', 'json', (m) => ({ event: 'ONUSERADD', auth: { member_id: m, application_token: 'a\u0000b' } })],
  ])('/bitrix24/events: %s → 400', async (_label, kind, body) => {
    const before = await storedState(env.t);
    const req = request(env.t.url).post('/bitrix24/events');
    const res = await (kind === 'form' ? req.type('form').send(body(member()) as string) : req.send(body(member()) as object));
    expect(res.status).toBe(400);
    expectEnvelope(res.body);
    expect(await storedState(env.t)).toBe(before);
  });

  it.each<[string, 'form' | 'json', (memberId: string) => unknown]>([
    ['auth[domain][]=x', 'form', (m) => `auth[member_id]=${m}&auth[domain][]=x&auth[access_token]=a&auth[refresh_token]=r&auth[application_token]=t`],
    ['a numeric domain', 'json', (m) => ({ auth: { member_id: m, domain: 12345, access_token: 'a', refresh_token: 'r', application_token: 't' } })],
    ['a domain that is no host', 'json', (m) => ({ auth: { member_id: m, domain: 'a b/c', access_token: 'a', refresh_token: 'r', application_token: 't' } })],
    ['auth[refresh_token][]=x', 'form', (m) => `auth[member_id]=${m}&auth[access_token]=a&auth[refresh_token][]=x&auth[application_token]=t`],
    ['tokens as objects', 'json', (m) => ({ auth: { member_id: m, access_token: {}, refresh_token: [], application_token: true } })],
    ['no tokens at all', 'json', (m) => ({ auth: { member_id: m } })],
  ])('/bitrix24/install: %s → 400', async (_label, kind, body) => {
    const before = await storedState(env.t);
    const refreshes = env.sim.stats.refreshes.failed + env.sim.stats.refreshes.ok;
    const req = request(env.t.url).post('/bitrix24/install');
    const res = await (kind === 'form' ? req.type('form').send(body(member()) as string) : req.send(body(member()) as object));
    expect(res.status).toBe(400);
    expectEnvelope(res.body);
    expect(env.sim.stats.refreshes.failed + env.sim.stats.refreshes.ok).toBe(refreshes);
    expect(await storedState(env.t)).toBe(before);
  });

  it.each([
    ['a non-UUID id', b64(['x', '------------------------------------'])],
    ['a UUID-length id of other characters', b64(['x', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'])],
    ['a NUL byte in the sort value', b64(['a\u0000b', UUID])],
    ['a NUL byte encoded', encodeKeysetCursor('\u0000', UUID)],
    ['not base64url', '%%%'],
    ['three values', b64(['a', UUID, 'c'])],
    ['an object', b64({ sortValue: 'a', id: UUID })],
  ])('employees cursor with %s → 400 invalid_cursor', async (_label, cursor) => {
    const res = await request(env.t.url).get('/api/v1/employees').query({ cursor }).set(bearer(acme.ownerKey));
    expect(res.status).toBe(400);
    expectEnvelope(res.body, /invalid_cursor|validation_failed/);
  });

  it('fuzz: random event posts never get a 5xx and change nothing', async () => {
    const before = await storedState(env.t);
    const value = fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }), fc.boolean());
    const authKey = fc.constantFrom('member_id', 'application_token', 'access_token', 'refresh_token', 'domain', 'client_endpoint', 'server_endpoint', 'user_id', 'expires_in', 'other');
    const event = fc.oneof(fc.constantFrom('ONUSERADD', 'ONAPPUNINSTALL', 'ONAPPINSTALL', 'onuseradd', ''), fc.string({ maxLength: 20 }), value);
    const body = fc.record({
      event,
      auth: fc.oneof(fc.dictionary(authKey, fc.oneof(value, fc.constant(member())), { maxKeys: 6 }), value),
      data: fc.oneof(fc.record({ ID: value }), value),
    }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const res = await request(env.t.url).post('/bitrix24/events').send(payload);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expectEnvelope(res.body);
      }),
      { numRuns: 150 },
    );
    const forms = fc.array(fc.tuple(fc.constantFrom('event', 'auth[member_id]', 'auth[application_token]', 'auth[application_token][]', 'auth[domain][x]', 'data[ID]', 'data[ID][]', 'auth', 'data', 'auth[access_token]'), fc.oneof(fc.string({ maxLength: 30 }), fc.constant(member()), fc.constant('ONAPPUNINSTALL'))), { maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(forms, async (pairs) => {
        const text = pairs.map(([k, v]) => `${encodeURIComponent(k).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${encodeURIComponent(v)}`).join('&');
        const res = await postForm(env.t, '/bitrix24/events', text);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
    expect(await storedState(env.t)).toBe(before);
  }, 120_000);

  it('fuzz: random install posts never get a 5xx and change nothing', async () => {
    const before = await storedState(env.t);
    const value = fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }), fc.object({ maxDepth: 1 }));
    const body = fc.record({
      event: fc.oneof(fc.constant('ONAPPINSTALL'), value),
      auth: fc.record({
        member_id: fc.oneof(fc.constant(member()), value),
        access_token: fc.oneof(fc.constant(env.sim.issueTokens().access_token), value),
        refresh_token: value,
        application_token: value,
        domain: fc.oneof(fc.constant(env.sim.domain), value),
        server_endpoint: fc.oneof(fc.constant(env.sim.serverEndpoint), value),
      }, { requiredKeys: [] }),
    }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const res = await request(env.t.url).post('/bitrix24/install').send(payload);
        expect(res.status).toBeLessThan(500);
        expect(res.status).not.toBe(200);
        expectEnvelope(res.body);
      }),
      { numRuns: 100 },
    );
    expect(await storedState(env.t)).toBe(before);
  }, 120_000);

  it('fuzz: random list queries (employees, runs, run items) never get a 5xx', async () => {
    const before = await storedState(env.t);
    const text = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('\u0000', 'a\u0000', '%00', '\ud800', '-1', '1e9', 'true', UUID), fc.json({ maxDepth: 2 }).map((j) => Buffer.from(j).toString('base64url')));
    const cursor = fc.oneof(text, fc.tuple(fc.oneof(fc.string({ maxLength: 10 }), fc.constant('\u0000'), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constant('+275760-09-13T00:00:00.000Z')), fc.oneof(fc.uuid(), fc.string({ maxLength: 36 }))).map(([a, b]) => b64([a, b])));
    const query = fc.record({
      cursor,
      q: text,
      limit: text,
      source: text,
      bitrix24State: fc.oneof(text, fc.array(text, { maxLength: 3 })),
      connectionId: text,
      active: text,
      responsible: text,
      status: text,
      trigger: text,
      outcome: text,
    }, { requiredKeys: [] });
    const paths = fc.constantFrom('/api/v1/employees', '/api/v1/sync-runs', `/api/v1/sync-runs/${runId}/items`, '/api/v1/responsible-employees');
    await fc.assert(
      fc.asyncProperty(paths, query, async (path, params) => {
        const res = await request(env.t.url).get(path).query(params).set(bearer(acme.ownerKey));
        expect({ path, params, status: res.status }).toEqual({ path, params, status: res.status < 500 ? res.status : 'a 4xx' });
        if (res.status >= 400) expectEnvelope(res.body);
      }),
      { numRuns: 250 },
    );
    expect(await storedState(env.t)).toBe(before);
  }, 120_000);
});
