import type { Browser } from 'playwright-core';
import { browserDescribe, launchBrowser } from '../support/browser';
import { PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { connectionRow } from '../support/security';

/**
 * The application's page inside Bitrix24, in real Chromium: the simulated portal (its own
 * origin) frames the page the way Bitrix24 does — a form posted into a frame named
 * DOMAIN|PROTOCOL|APP_SID — and answers the frame's postMessage commands; our page runs the
 * official JS SDK from our origin under its CSP and finishes the installation with
 * $b24.installFinish() (settings/app-installation/installation-finish.md). Skipped without
 * Chromium unless CI_REQUIRE_BROWSER is set.
 */
const suite = browserDescribe('app frame suite');

suite('the application page inside a (simulated) Bitrix24 portal (Chromium)', () => {
  let env: PortalAndApp;
  let browser: Browser;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 4, interfaceApp: true });
    env.sim.appUrl = `${env.t.url}/bitrix24/app`;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await env?.t.close();
    await env?.sim.stop();
  });

  it('an administrator opens the installer in the portal’s frame; installFinish runs through the JS SDK; the reloaded page shows the finished installation', async () => {
    expect(new URL(env.sim.baseUrl).origin).not.toBe(new URL(env.t.url).origin);
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text()) || (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    // Every file the pages load answers (the browser's own favicon probe aside).
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) problems.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${env.sim.baseUrl}/marketplace/app/?user=1`);
    const frame = page.frameLocator('#app-frame');
    await frame.locator('h1').waitFor({ timeout: 15_000 });
    // The portal reloads the application after installFinish; the new page is built from app.info INSTALLED true.
    await frame.locator('dt:text-is("Installation finished") + dd:text-is("yes")').waitFor({ timeout: 20_000 });
    // Only the host page's answer to the frame's setInstallFinish command (after getInitData) finishes it.
    expect(env.sim.appInstalled).toBe(true);
    await expect(frame.locator('#install-status').textContent()).resolves.toBe('');
    const row = (await connectionRow(env.t, env.sim.memberId))!;
    expect(row).toMatchObject({ app_installed: true, bound_offline_events: ['ONUSERADD'] });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a page of another origin cannot frame the application page (frame-ancestors is the portal only)', async () => {
    const page = await browser.newPage();
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (/frame-ancestors|Refused to frame/i.test(message.text())) blocked.push(message.text());
    });
    // The service itself plays "another origin" here: a data: page that posts a genuine administrator's open into a frame.
    const open = await env.sim.openApp({ userId: 1 });
    expect(open.status).toBe(200);
    const { url, fields } = await buildOpen(env);
    const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`).join('');
    await page.setContent(`<iframe name="f" id="f"></iframe><form id="x" method="POST" target="f" action="${url}">${inputs}</form><script>document.getElementById('x').submit()</script>`);
    await page.waitForTimeout(1500);
    const framed = page.frames().find((f) => f.url().startsWith(env.t.url));
    const heading = framed ? await framed.locator('h1').count().catch(() => 0) : 0;
    expect(heading).toBe(0);
    expect(blocked.length).toBeGreaterThan(0);
    await page.close();
  });
});

/** The form an administrator's open posts (the same fields the portal's host page submits). */
async function buildOpen(env: PortalAndApp): Promise<{ url: string; fields: Record<string, string> }> {
  const html = await (await fetch(`${env.sim.baseUrl}/marketplace/app/?user=1`)).text();
  const action = /<form id="app-form" method="POST" target="[^"]*" action="([^"]+)">/.exec(html)![1].replace(/&amp;/g, '&');
  const fields: Record<string, string> = {};
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[name] = value;
  return { url: action, fields };
}
