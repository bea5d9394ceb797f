/**
 * A run whose runner stopped renewing its lease (issue 12, finding 5) in a real Chromium: the
 * "Last run" card says it is stalled and since when, in English and Russian, with no axe
 * violation; once another replica takes it over and finishes, the warning is gone.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { browserDescribe, launchBrowser, openConsolePage } from '../support/browser';
import { axeViolations } from '../support/page-checks';
import { runPollerOnce, waitForRun } from '../support/sync';

const suite = browserDescribe('stalled run');

suite('console: a stalled run', () => {
  let env: PortalAndApp;
  let account: TestAccount;
  let connectionId: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    // No periodic tick after boot: the stalled run stays stalled until the test lets a replica take it.
    env = await startPortalAndApp({ people: 40, seed: 141, rateLimit: false }, { env: { SYNC_TICK_SECONDS: '3600' } });
    account = await createAccount(env.t, 'Stalled Co');
    connectionId = await connectPortal(env.t, account, env.sim);
    ({ context, page, pageErrors } = await openConsolePage(browser, { bypassCSP: true }));
  }, 60_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await env?.t.close();
    await env?.sim.stop();
  }, 30_000);

  it('shows "Stalled since …" on the last run until it is taken over', async () => {
    const [{ id: runId }] = await env.t.dataSource.query(
      `INSERT INTO sync_run (account_id, connection_id, trigger, status, started_at, heartbeat_at, runner_id, attempts)
       VALUES ($1, $2, 'manual', 'running', now() - interval '10 minutes', now() - interval '7 minutes', 'replica-that-died', 1) RETURNING id`,
      [account.id, connectionId],
    );
    await env.t.dataSource.query(`UPDATE bitrix24_connection SET lease_owner = 'replica-that-died', lease_expires_at = now() - interval '6 minutes' WHERE id = $1`, [connectionId]);

    await page.goto(`${env.t.url}/`);
    await page.locator('[data-testid="signin-key"]').fill(account.ownerKey);
    await page.locator('[data-testid="signin-submit"]').click();
    await page.locator('[data-testid="tab-data-access"]').click();
    const stalled = page.locator(`[data-testid="last-run"] [data-testid="run-summary"][data-run-id="${runId}"] [data-testid="run-stalled"]`);
    await stalled.waitFor();
    expect(await stalled.textContent()).toMatch(/^Stalled since .+ \(7 minutes ago\): the service instance running it stopped answering\. Another instance takes it over when its lease expires\.$/);
    expect(await axeViolations(page)).toEqual([]);

    await page.locator('[data-testid="language-switch"]').selectOption('ru');
    await page.waitForFunction(() => document.documentElement.lang === 'ru');
    await stalled.waitFor();
    expect(await stalled.textContent()).toMatch(/^Остановился .+: экземпляр сервиса, который его выполнял, перестал отвечать\./);
    expect(await axeViolations(page)).toEqual([]);
    await page.locator('[data-testid="language-switch"]').selectOption('en');

    // The lease has expired: a replica's tick takes the run over and finishes it.
    await runPollerOnce(env.t, false);
    expect((await waitForRun(env.t, account, runId)).status).toBe('succeeded');
    await page.reload();
    await page.locator(`[data-testid="last-run"] [data-testid="run-summary"][data-run-id="${runId}"][data-status="succeeded"]`).waitFor();
    expect(await page.locator('[data-testid="run-stalled"]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
