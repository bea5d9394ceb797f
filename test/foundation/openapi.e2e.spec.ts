import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';

describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is served at /docs-json, valid OpenAPI 3, and lists every public API route', async () => {
    const res = await request(t.url).get('/docs-json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(res.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const routes = Object.entries(res.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    for (const route of [
      'GET /api/v1/me',
      'GET /api/v1/api-keys',
      'POST /api/v1/api-keys',
      'PATCH /api/v1/api-keys/{id}',
      'DELETE /api/v1/api-keys/{id}',
      'GET /api/v1/employees',
      'POST /api/v1/employees',
      'GET /api/v1/employees/{id}',
      'PATCH /api/v1/employees/{id}',
      'DELETE /api/v1/employees/{id}',
      'POST /api/v1/employees/{id}/deactivate',
      'POST /api/v1/employees/{id}/activate',
      'GET /api/v1/responsible-employees',
      'PUT /api/v1/responsible-employees',
      'POST /api/v1/responsible-employees/{employeeId}',
      'DELETE /api/v1/responsible-employees/{employeeId}',
      'POST /api/v1/bitrix24/oauth/start',
      'GET /api/v1/bitrix24/connections',
      'POST /api/v1/bitrix24/connections',
      'GET /api/v1/bitrix24/connections/{id}',
      'PATCH /api/v1/bitrix24/connections/{id}',
      'DELETE /api/v1/bitrix24/connections/{id}',
      'POST /api/v1/bitrix24/connections/{id}/sync',
      'GET /api/v1/sync-runs',
      'GET /api/v1/sync-runs/{id}',
      'GET /api/v1/sync-runs/{id}/items',
      'POST /api/v1/sync-runs/{id}/confirm-removals',
      'GET /health',
    ]) {
      expect(routes).toContain(route);
    }
    // Every operation documents its response and every /api route declares the bearer key.
    for (const [path, ops] of Object.entries(res.body.paths as Record<string, Record<string, { responses?: object; security?: unknown[] }>>)) {
      for (const op of Object.values(ops)) {
        expect(Object.keys(op.responses ?? {}).length).toBeGreaterThan(0);
        if (path.startsWith('/api/')) expect(op.security).toEqual([{ bearer: [] }]);
      }
    }
    await request(t.url).get('/docs').expect(200);
  });

  // Every operation other helpers add is held to this too: a summary, at least one 4xx,
  // and every 4xx answer carrying the single error envelope (src/common/api-errors.decorator.ts).
  it('documents every operation with a summary, its 4xx answers and the error envelope', async () => {
    const res = await request(t.url).get('/docs-json').expect(200);
    const doc = res.body as {
      paths: Record<string, Record<string, { summary?: string; parameters?: Array<{ in: string; name: string }>; responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    const envelope = doc.components.schemas.ErrorEnvelopeDto;
    expect(envelope?.required).toEqual(['error']);
    expect(doc.components.schemas.ErrorBodyDto?.required).toEqual(expect.arrayContaining(['code', 'message']));
    const problems: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const name = `${method.toUpperCase()} ${path}`;
        if (!op.summary?.trim()) problems.push(`${name}: no summary`);
        const errors = Object.entries(op.responses ?? {}).filter(([status]) => /^4\d\d$/.test(status));
        if (!errors.length) problems.push(`${name}: no 4xx answer`);
        for (const [status, response] of errors) {
          if (response.content?.['application/json']?.schema?.$ref !== '#/components/schemas/ErrorEnvelopeDto') problems.push(`${name}: ${status} without the error envelope`);
        }
        // A database outage is a 503 with the envelope on every API operation (ApiExceptionFilter).
        const outage = op.responses?.['503'] as { description?: string; content?: Record<string, { schema?: { $ref?: string } }> } | undefined;
        if (path.startsWith('/api/') && (!outage?.description?.includes('database_unavailable') || outage.content?.['application/json']?.schema?.$ref !== '#/components/schemas/ErrorEnvelopeDto')) {
          problems.push(`${name}: 503 database_unavailable not documented`);
        }
        for (const [, param] of path.matchAll(/\{(\w+)\}/g)) {
          if (!op.parameters?.some((p) => p.in === 'path' && p.name === param)) problems.push(`${name}: path parameter {${param}} not declared`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
