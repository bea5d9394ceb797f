import request from 'supertest';
import { loadConfig } from '../../src/config/load-config';
import { redactString } from '../../src/common/logging/redact';
import { createAccount } from '../support/accounts';
import { connectPortal, startPortalAndApp } from '../support/bitrix24';
import { synchronize } from '../support/sync';
import { startTestApp, TestApp } from '../support/test-app';

/** Issue 10, finding 11 and the log-redaction item: production gaps. */
describe('security: production headers, listen address, OpenAPI scheme, readable log codes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { PUBLIC_URL: 'https://sync.example.com' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('HSTS on every answer when the service is reached over https', async () => {
    for (const path of ['/', '/docs', '/docs-json', '/health/live', '/api/v1/me', '/bitrix24/oauth/callback']) {
      const res = await request(t.url).get(path);
      expect({ path, hsts: res.headers['strict-transport-security'] }).toEqual({ path, hsts: 'max-age=31536000; includeSubDomains' });
    }
  });

  it('every HTML answer carries a CSP with frame-ancestors: the settings page, the OAuth error page, /docs', async () => {
    const answers = {
      settings: await request(t.url).get('/'),
      oauthError: await request(t.url).get('/bitrix24/oauth/callback?state=x'),
      docs: await request(t.url).get('/docs'),
    };
    for (const [name, res] of Object.entries(answers)) {
      expect({ name, type: res.headers['content-type'] }).toEqual({ name, type: expect.stringContaining('text/html') });
      expect({ name, csp: res.headers['content-security-policy'] }).toEqual({ name, csp: expect.stringContaining("frame-ancestors 'none'") });
    }
    // The error page's inline style is allowed by its hash only; no script may run.
    expect(answers.oauthError.headers['content-security-policy']).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(answers.oauthError.headers['content-security-policy']).not.toContain('unsafe');
    expect(answers.docs.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('the OpenAPI security scheme describes an opaque bearer key, not a JWT', async () => {
    const doc = (await request(t.url).get('/docs-json').expect(200)).body;
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.bearer.bearerFormat).toBeUndefined();
  });

  it('HOST sets the listen address (default 0.0.0.0)', () => {
    expect(loadConfig({}).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '::' }).host).toBe('::');
    expect(() => loadConfig({ HOST: 'bad host!' })).toThrow(/HOST/);
    expect(loadConfig({}).trustProxy).toBe('loopback');
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.5, loopback' }).trustProxy).toBe('10.0.0.5, loopback');
  });

  it('a failed sync run logs its error code readably; OAuth codes inside URLs stay redacted', async () => {
    const env = await startPortalAndApp({ people: 3 });
    try {
      const account = await createAccount(env.t, 'Logs');
      const id = await connectPortal(env.t, account, env.sim);
      env.sim.portalGone(true);
      expect((await synchronize(env.t, account, id)).error?.code).toBe('PORTAL_DELETED');
      const failed = env.t.logs.find((line) => line.msg === 'sync run failed');
      expect(failed).toMatchObject({ code: 'PORTAL_DELETED', kind: 'portal_gone' });
    } finally {
      await env.t.close();
      await env.sim.stop();
    }
    expect(redactString('GET /bitrix24/oauth/callback?code=abc123secret&state=s7')).not.toMatch(/abc123secret|s7/);
  });
});
