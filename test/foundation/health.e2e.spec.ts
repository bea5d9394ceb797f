import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';

describe('foundation: health, errors, request ids', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('reports ready with the database checked', async () => {
    const res = await request(t.url).get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info.database.status).toBe('up');
  });

  it('answers liveness without touching the database', async () => {
    await request(t.url).get('/health/live').expect(200, { status: 'ok' });
  });

  it('answers unknown routes with the error envelope', async () => {
    const res = await request(t.url).get('/no/such/route').expect(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('gives every request an id, echoes a safe one and logs it', async () => {
    const mine = await request(t.url).get('/health/live').set('X-Request-Id', 'abc-123');
    expect(mine.headers['x-request-id']).toBe('abc-123');
    const hostile = await request(t.url).get('/health/live').set('X-Request-Id', 'bad id <script>');
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const line = t.logs.find((l) => l.msg === 'request' && l.requestId === 'abc-123');
    expect(line).toMatchObject({ method: 'GET', path: '/health/live', status: 200 });
  });

  it('applied every migration', async () => {
    const rows = await t.dataSource.query(`SELECT name FROM migrations`);
    expect(rows.length).toBeGreaterThan(0);
  });
});
