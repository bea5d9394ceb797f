import request from 'supertest';
import { bearer, createAccount, createKey, TestAccount } from '../support/accounts';
import { startTestApp, TestApp } from '../support/test-app';

describe('API keys and roles', () => {
  let t: TestApp;
  let acme: TestAccount;

  beforeAll(async () => {
    t = await startTestApp();
    acme = await createAccount(t, 'Acme');
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses requests without a key, with a malformed key and with an unknown key', async () => {
    const none = await request(t.url).get('/api/v1/me').expect(401);
    expect(none.body.error.code).toBe('unauthenticated');
    await request(t.url).get('/api/v1/me').set('Authorization', 'Basic abc').expect(401);
    const unknown = await request(t.url).get('/api/v1/me').set(bearer('b24s_aaaaaaaaaa_' + 'A'.repeat(40))).expect(401);
    expect(unknown.body.error.code).toBe('invalid_api_key');
  });

  it('says who the key is', async () => {
    const res = await request(t.url).get('/api/v1/me').set(bearer(acme.ownerKey)).expect(200);
    expect(res.body).toMatchObject({ accountId: acme.id, accountName: 'Acme', role: 'owner' });
    expect(res.body.permissions).toContain('keys:manage:owner');
  });

  it('shows a new key once, stores only its hash, and lists it by prefix', async () => {
    const created = await request(t.url).post('/api/v1/api-keys').set(bearer(acme.ownerKey)).send({ name: 'CI', role: 'viewer' }).expect(201);
    expect(created.body.key).toMatch(/^b24s_[a-z0-9]{10}_[A-Za-z0-9]{40}$/);
    expect(created.body.key.startsWith(`b24s_${created.body.prefix}_`)).toBe(true);
    const listed = await request(t.url).get('/api/v1/api-keys').set(bearer(acme.ownerKey)).expect(200);
    const entry = listed.body.find((k: { id: string }) => k.id === created.body.id);
    expect(entry).toMatchObject({ name: 'CI', role: 'viewer', prefix: created.body.prefix, revokedAt: null });
    expect(entry.key).toBeUndefined();
    const [row] = await t.dataSource.query(`SELECT key_hash FROM api_key WHERE id = $1`, [created.body.id]);
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await t.dataSource.query(`SELECT * FROM api_key`))).not.toContain(created.body.key);
    expect(JSON.stringify(t.logs)).not.toContain(created.body.key);
  });

  it('refuses revoked keys', async () => {
    const viewer = await createKey(t, acme, 'viewer');
    await request(t.url).get('/api/v1/me').set(bearer(viewer.key)).expect(200);
    const revoked = await request(t.url).delete(`/api/v1/api-keys/${viewer.id}`).set(bearer(acme.ownerKey)).expect(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const res = await request(t.url).get('/api/v1/me').set(bearer(viewer.key)).expect(401);
    expect(res.body.error.code).toBe('invalid_api_key');
  });

  describe('role matrix', () => {
    const cases: Array<[string, 'owner' | 'admin' | 'integrator' | 'viewer', number]> = [
      ['owner creates an owner', 'owner', 201],
      ['admin creates an owner', 'admin', 403],
      ['integrator creates an owner', 'integrator', 403],
      ['viewer creates an owner', 'viewer', 403],
    ];
    it.each(cases)('%s → %i', async (_label, role, status) => {
      const actor = role === 'owner' ? { key: acme.ownerKey } : await createKey(t, acme, role);
      const res = await request(t.url).post('/api/v1/api-keys').set(bearer(actor.key)).send({ name: 'x', role: 'owner' }).expect(status);
      if (status === 403) expect(res.body.error.details.missingPermission).toBe('keys:manage:owner');
    });

    it.each([
      ['admin', 'admin', 403],
      ['admin', 'viewer', 201],
      ['admin', 'integrator', 201],
      ['integrator', 'admin', 403],
      ['integrator', 'integrator', 403],
      ['integrator', 'viewer', 201],
      ['viewer', 'viewer', 403],
    ] as const)('%s creating a %s key → %i', async (actorRole, role, status) => {
      const actor = await createKey(t, acme, actorRole);
      const res = await request(t.url).post('/api/v1/api-keys').set(bearer(actor.key)).send({ name: 'x', role }).expect(status);
      if (status === 403) expect(res.body.error.message).toContain(`keys:manage:${role}`);
    });

    it('an integrator cannot promote a viewer to admin, an owner can', async () => {
      const integrator = await createKey(t, acme, 'integrator');
      const viewer = await createKey(t, acme, 'viewer');
      const refused = await request(t.url).patch(`/api/v1/api-keys/${viewer.id}`).set(bearer(integrator.key)).send({ role: 'admin' }).expect(403);
      expect(refused.body.error.details.missingPermission).toBe('keys:manage:admin');
      await request(t.url).patch(`/api/v1/api-keys/${viewer.id}`).set(bearer(acme.ownerKey)).send({ role: 'admin' }).expect(200);
      const me = await request(t.url).get('/api/v1/me').set(bearer(viewer.key)).expect(200);
      expect(me.body.role).toBe('admin');
    });

    it('a viewer reads but cannot change anything', async () => {
      const viewer = await createKey(t, acme, 'viewer');
      await request(t.url).get('/api/v1/employees').set(bearer(viewer.key)).expect(200);
      await request(t.url).get('/api/v1/bitrix24/connections').set(bearer(viewer.key)).expect(200);
      const refused = await request(t.url).post('/api/v1/employees').set(bearer(viewer.key)).send({ firstName: 'A', lastName: 'B' }).expect(403);
      expect(refused.body.error.details.missingPermission).toBe('employees:write');
      await request(t.url).post('/api/v1/bitrix24/oauth/start').set(bearer(viewer.key)).send({ portal: 'acme.bitrix24.ru' }).expect(403);
    });

    it('an integrator sets things up but cannot deactivate employees', async () => {
      const integrator = await createKey(t, acme, 'integrator');
      const created = await request(t.url).post('/api/v1/employees').set(bearer(integrator.key)).send({ firstName: 'Ivan', lastName: 'Petrov' }).expect(201);
      const refused = await request(t.url).post(`/api/v1/employees/${created.body.id}/deactivate`).set(bearer(integrator.key)).expect(403);
      expect(refused.body.error.details.missingPermission).toBe('employees:deactivate');
      const after = await request(t.url).get(`/api/v1/employees/${created.body.id}`).set(bearer(acme.ownerKey)).expect(200);
      expect(after.body.active).toBe(true);
      await request(t.url).post(`/api/v1/employees/${created.body.id}/deactivate`).set(bearer(acme.ownerKey)).expect(200);
    });
  });

  it('keeps one integrator key active: a new one revokes the previous automatically', async () => {
    const account = await createAccount(t, 'Integrated');
    const first = await createKey(t, account, 'integrator');
    const second = await request(t.url).post('/api/v1/api-keys').set(bearer(account.ownerKey)).send({ name: 'new partner', role: 'integrator' }).expect(201);
    expect({ revoked: second.body.revokedKeyIds, first: first.id }).toEqual({ revoked: [first.id], first: first.id });
    await request(t.url).get('/api/v1/me').set(bearer(first.key)).expect(401);
    await request(t.url).get('/api/v1/me').set(bearer(second.body.key)).expect(200);
    const [{ count }] = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM api_key WHERE account_id = $1 AND role = 'integrator' AND revoked_at IS NULL`,
      [account.id],
    );
    expect(count).toBe(1);
  });

  it('never leaves an account without an owner key', async () => {
    const account = await createAccount(t, 'Lonely');
    const keys = await request(t.url).get('/api/v1/api-keys').set(bearer(account.ownerKey)).expect(200);
    const res = await request(t.url).delete(`/api/v1/api-keys/${keys.body[0].id}`).set(bearer(account.ownerKey)).expect(409);
    expect(res.body.error.code).toBe('last_owner_key');
  });

  it('answers malformed bodies with 400 and changes nothing', async () => {
    const before = await t.dataSource.query(`SELECT count(*)::int AS n FROM api_key`);
    const bodies = [
      { name: 'x', role: 'superuser' },
      { name: 123, role: 'viewer' },
      { name: 'x'.repeat(10_000), role: 'viewer' },
      { name: 'x', role: 'viewer', isAdmin: true },
      { name: '', role: 'viewer' },
      { name: 'line\nbreak', role: 'viewer' },
    ];
    for (const body of bodies) {
      const res = await request(t.url).post('/api/v1/api-keys').set(bearer(acme.ownerKey)).send(body).expect(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(Array.isArray(res.body.error.details)).toBe(true);
    }
    const raw = await request(t.url).post('/api/v1/api-keys').set(bearer(acme.ownerKey)).set('Content-Type', 'application/json').send('{"name":').expect(400);
    expect(raw.body.error).toBeDefined();
    const after = await t.dataSource.query(`SELECT count(*)::int AS n FROM api_key`);
    expect(after).toEqual(before);
  });

  it('answers bad UUIDs in paths with 400', async () => {
    const res = await request(t.url).delete('/api/v1/api-keys/not-a-uuid').set(bearer(acme.ownerKey)).expect(400);
    expect(res.body.error.code).toBe('invalid_id');
  });

  it('limits each key and says when to retry', async () => {
    const limited = await startTestApp({ env: { API_RATE_LIMIT_PER_MINUTE: '5' } });
    try {
      const account = await createAccount(limited, 'Busy');
      for (let i = 0; i < 5; i++) await request(limited.url).get('/api/v1/me').set(bearer(account.ownerKey)).expect(200);
      const res = await request(limited.url).get('/api/v1/me').set(bearer(account.ownerKey)).expect(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body.error.code).toBe('rate_limited');
      // Another key of the same account has its own budget.
      const other = await createAccount(limited, 'Quiet');
      await request(limited.url).get('/api/v1/me').set(bearer(other.ownerKey)).expect(200);
    } finally {
      await limited.close();
    }
  });
});
