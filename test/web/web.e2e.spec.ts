import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { PAGE_CSP, resolvePublicDir } from '../../src/web/web.controller';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { startTestApp, TEST_ENCRYPTION_KEY, TestApp } from '../support/test-app';

const REPO_ROOT = resolve(__dirname, '..', '..');
const PUBLIC_DIR = join(REPO_ROOT, 'dist', 'web');
const APP_SOURCES = join(REPO_ROOT, 'src', 'web', 'app');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** CSP directives as a map: "script-src" → ["'self'"]. */
function parseCsp(header: string): Map<string, string[]> {
  return new Map(
    header
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...values] = d.split(/\s+/);
        return [name.toLowerCase(), values] as [string, string[]];
      }),
  );
}

describe('web: the settings page at /', () => {
  let t: TestApp;
  let account: TestAccount;

  beforeAll(async () => {
    t = await startTestApp();
    account = await createAccount(t, 'Web Page Co');
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves the page without an API key, as HTML with a strict CSP and security headers', async () => {
    const res = await request(t.url).get('/').expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toMatch(/^<!doctype html>/i);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['etag']).toMatch(/^"[\w-]+"$/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-powered-by']).toBeUndefined();

    const csp = res.headers['content-security-policy'];
    expect(csp).toBe(PAGE_CSP);
    const directives = parseCsp(csp);
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    for (const name of ['default-src', 'script-src', 'style-src', 'connect-src']) {
      const values = directives.get(name) ?? directives.get('default-src')!;
      expect(values).not.toContain("'unsafe-inline'");
      expect(values).not.toContain("'unsafe-eval'");
      expect(values.some((v) => v === '*' || v.includes('*') || v === 'http:' || v === 'https:')).toBe(false);
    }
  });

  it('has no inline script, inline style or inline event handler (they would break under the CSP)', async () => {
    const html = (await request(t.url).get('/').expect(200)).text;
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/assets\/[\w.-]+\.js"/);
      expect(body.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
  });

  it('is a shell for the bundled console: one root, the script and stylesheet from /assets, a no-script note', async () => {
    // Labels, tab semantics and axe-core checks run on the rendered page in test/browser.
    const html = (await request(t.url).get('/').expect(200)).text;
    expect(html).toContain('<div id="root"></div>');
    expect(html).toContain('<script src="/assets/app.js" defer></script>');
    expect(html).toContain('<link rel="stylesheet" href="/assets/app.css">');
    expect(html).toMatch(/<noscript>/);
  });

  it('serves every asset the page references with the right content type and headers', async () => {
    const html = (await request(t.url).get('/').expect(200)).text;
    const refs = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(refs).toEqual(expect.arrayContaining(['/assets/app.js', '/assets/app.css']));
    const expected: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
    for (const ref of refs) {
      const res = await request(t.url).get(ref).expect(200);
      expect(res.headers['content-type']).toBe(expected[ref.slice(ref.lastIndexOf('.'))]);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBe(PAGE_CSP);
      expect(Number(res.headers['content-length'])).toBeGreaterThan(100);
    }
  });

  it('answers a matching If-None-Match with 304 and HEAD with headers only', async () => {
    const first = await request(t.url).get('/assets/app.js').expect(200);
    const etag = first.headers['etag'];
    const again = await request(t.url).get('/assets/app.js').set('If-None-Match', etag).expect(304);
    expect(again.text ?? '').toBe('');
    const head = await request(t.url).head('/').expect(200);
    expect(head.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(head.headers['content-security-policy']).toBe(PAGE_CSP);
  });

  it.each([
    '/assets/nope.js',
    '/assets/index.html',
    '/assets/app.JS',
    '/assets/..%2Fweb.controller.ts',
    '/assets/..%2F..%2F..%2Fpackage.json',
    '/assets/%2e%2e%2fapp.js',
    '/assets/constructor',
    '/assets/__proto__',
    '/assets/',
    '/assets/app.js/extra',
    '/index.html',
    '/app.js',
  ])('answers %s with 404 and the error envelope', async (path) => {
    const res = await request(t.url).get(path).expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    expect(res.text).not.toMatch(/import |require\(|"name": "b24-employee-sync"/);
  });

  it('never serves an API key, token or secret in the files', async () => {
    const secretLike = [
      account.ownerKey,
      TEST_ENCRYPTION_KEY,
      t.config.bitrix24.clientSecret,
      // Anything shaped like a key: b24s_<10>_<40>.
    ].filter((s): s is string => typeof s === 'string' && s.length > 0);
    for (const path of ['/', '/?connected=8d4b1d35-2a83-4ae1-9f55-7a1e0f0f6b11', '/assets/app.js', '/assets/app.css']) {
      // Even a request that carries the key must not get it echoed back.
      const res = await request(t.url).get(path).set(bearer(account.ownerKey)).expect(200);
      for (const secret of secretLike) expect(res.text).not.toContain(secret);
      expect(res.text).not.toMatch(/b24s_[a-z0-9]{10}_[A-Za-z0-9]{40}/);
      expect(res.text).not.toMatch(/access_token|refresh_token|client_secret/i);
      expect(JSON.stringify(res.headers)).not.toContain(account.ownerKey);
    }
  });

  it('keeps the key out of URLs: the script sends it only in the Authorization header, and keeps only the language in localStorage', async () => {
    const js = (await request(t.url).get('/assets/app.js').expect(200)).text;
    expect(js).toMatch(/\.Authorization=`Bearer \$\{/);
    expect(js).toContain('sessionStorage');
    // The only thing remembered across visits is the language.
    const local = [...js.matchAll(/localStorage\.(\w+)\(([^,)]*)/g)].map((m) => `${m[1]}(${m[2]}`);
    expect(local.length).toBeGreaterThan(0);
    for (const call of local) expect(call).toMatch(/^(getItem|setItem)\("b24sync\.locale"$/);
    expect(js).not.toMatch(/[?&](api_?key|key|token)=/i);
  });

  it("puts API data in as text: the console's sources never write markup", () => {
    for (const file of sourceFiles(APP_SOURCES)) {
      const source = readFileSync(file, 'utf8');
      expect({ file, markup: /innerHTML|outerHTML|insertAdjacentHTML|document\.write|dangerouslySetInnerHTML/.test(source) }).toEqual({ file, markup: false });
    }
  });

  it('leaves the API protected and the page out of the OpenAPI document', async () => {
    await request(t.url).get('/api/v1/me').expect(401);
    await request(t.url).get('/api/v1/me').set(bearer(account.ownerKey)).expect(200);
    const doc = (await request(t.url).get('/docs-json').expect(200)).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).not.toContain('/');
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/assets'))).toBe(false);
  });
});

describe('web: finding the page files', () => {
  it('finds the built page (dist/web) from the source folder and from the compiled dist/src/web', () => {
    expect(resolvePublicDir(join(REPO_ROOT, 'src', 'web'))).toBe(PUBLIC_DIR);
    expect(resolvePublicDir(join(REPO_ROOT, 'dist', 'src', 'web'))).toBe(PUBLIC_DIR);
  });

  it('fails with a clear message when the files are missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'web-no-public-'));
    try {
      mkdirSync(join(dir, 'a', 'b'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), '{}');
      expect(() => resolvePublicDir(join(dir, 'a', 'b'))).toThrow(/dist\/web\/index\.html was not found.*npm run build/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
