import type { Browser } from 'playwright-core';
import { browserDescribe, launchBrowser } from '../support/browser';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The CSPs this service sends must not break its own pages: Swagger UI at /docs renders
 * its operations under DOCS_CSP with no violation, and the OAuth error page under its
 * hash-only policy. Real Chromium; skipped without it unless CI_REQUIRE_BROWSER is set.
 */
const suite = browserDescribe('CSP page suite');

suite('security: pages work under their own CSP (Chromium)', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestApp({ env: { PUBLIC_URL: 'https://sync.example.com' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it.each([
    ['/docs', '.opblock', 'api/v1/me'],
    ['/bitrix24/oauth/callback?state=x', 'h1', 'Bitrix24 was not connected'],
  ])('%s renders with no CSP violation', async (path, selector, text) => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${t.url}${path}`);
    await page.waitForSelector(selector, { timeout: 15_000 });
    expect(await page.content()).toContain(text);
    expect(violations).toEqual([]);
    await page.close();
  });
});
