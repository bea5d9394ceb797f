/**
 * The settings page in a real Chromium (playwright-core + Debian's /usr/bin/chromium):
 * sign in → connect the simulated portal through the OAuth redirect → Synchronize and
 * watch the progress bar → the summary and the skipped people → the Employees filters →
 * keyboard and accessible names → no horizontal scrolling at desktop and phone widths.
 *
 * The steps share one page and run in order; each builds on the one before.
 *
 *   npx jest test/browser                  run it
 *
 * Without Chromium the suite is skipped with a message, unless CI_REQUIRE_BROWSER is set:
 * then a missing browser fails it.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import request from 'supertest';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { browserDescribe, closeConsoleTest, launchBrowser, openConsolePage } from '../support/browser';
import { horizontalOverflow } from '../support/page-checks';
import { runItems, type RunView } from '../support/sync';

const REPO_ROOT = resolve(__dirname, '..', '..');
const ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts');

const suite = browserDescribe('settings page suite');

/** How the page words each skip reason in English (src/web/app/i18n/en.json, reasons). */
const REASON_TEXT: Record<string, string> = {
  missing_email: 'No email address in Bitrix24',
  missing_last_name: 'No last name in Bitrix24',
  invalid_email: 'The email address is not valid',
  out_of_scope: 'Not an employee of the portal (extranet, bot or other account type)',
};

const STEP_TIMEOUT = 30_000;
const TABS = ['connection', 'data-access', 'employees', 'departments', 'responsible', 'history', 'audit', 'api-keys'];

interface ProgressSnapshot {
  now: number | null;
  max: number | null;
  status: string | null;
  indeterminate: boolean;
  hidden: boolean;
  text: string;
}

interface EmployeeView {
  id: string;
  firstName: string;
  lastName: string;
  middleName: string | null;
  bitrix24Links: Array<{ state: string }>;
}

suite('settings page in Chromium: connect, synchronize, skipped people, employees, keyboard, layout', () => {
  let env: PortalAndApp;
  let account: TestAccount;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let connectionId: string;
  let run: RunView;
  let pageErrors: string[] = [];
  const navigations: string[] = [];

  const api = (path: string) => request(env.t.url).get(`/api/v1${path}`).set(bearer(account.ownerKey)).expect(200);
  const byTestId = (id: string) => page.locator(`[data-testid="${id}"]`);

  beforeAll(async () => {
    // Launch first: without Chromium (and CI_REQUIRE_BROWSER set) this fails with a clear message.
    browser = await launchBrowser();
    mkdirSync(ARTIFACTS, { recursive: true });
    env = await startPortalAndApp({ people: 300, seed: 6 });
    account = await createAccount(env.t, 'Browser Test Co');
    ({ context, page, pageErrors } = await openConsolePage(browser));
    page.on('request', (req) => {
      if (req.isNavigationRequest() && req.frame() === page.mainFrame()) navigations.push(req.url());
    });
  }, 60_000);

  afterAll(() => closeConsoleTest({ context, browser, env }), 30_000);

  it(
    'signs in with the owner key (and refuses a wrong one)',
    async () => {
      await page.goto(`${env.t.url}/`);
      await byTestId('signin-key').fill('b24s_not-a-real-key');
      await byTestId('signin-submit').click();
      await page.waitForFunction(() => /unknown or revoked/.test(document.querySelector('[data-testid="signin-error"]')?.textContent ?? ''));

      // The refused key's 401 is expected; only errors from here on count.
      pageErrors.length = 0;
      await byTestId('signin-key').fill(account.ownerKey);
      await byTestId('signin-submit').click();
      await byTestId('whoami').waitFor({ state: 'visible' });
      expect(await byTestId('whoami').textContent()).toContain('Browser Test Co');
      expect(await byTestId('signin-form').isVisible()).toBe(false);
    },
    STEP_TIMEOUT,
  );

  it(
    'connects the simulator portal through the OAuth redirect and comes back with a success message',
    async () => {
      await byTestId('tab-connection').click();
      await byTestId('connections-empty').waitFor({ state: 'visible' });
      navigations.length = 0;

      await byTestId('connect-portal').fill(env.sim.baseUrl);
      await byTestId('connect-submit').click();
      // Simulator /oauth/authorize/ → 302 to the service's callback → 302 to /?connected=<id>#connection.
      await page.waitForFunction(() => /is connected/.test(document.querySelector('[data-testid="flash"]')?.textContent ?? ''));
      expect(await byTestId('flash').textContent()).toContain(`${env.sim.domain} is connected`);

      const simOrigin = new URL(env.sim.baseUrl).origin;
      const authorize = navigations.findIndex((u) => u.startsWith(`${simOrigin}/oauth/authorize/`));
      const callback = navigations.findIndex((u) => u.startsWith(`${env.t.url}/bitrix24/oauth/callback?`));
      const back = navigations.findIndex((u) => u.startsWith(`${env.t.url}/?connected=`));
      const inOrder = authorize >= 0 && callback > authorize && back > callback;
      expect({ inOrder, navigations }).toEqual({ inOrder: true, navigations });
      // The page drops ?connected= from the address bar once it has read it.
      await page.waitForFunction(() => !location.search.includes('connected'));

      const connections = (await api('/bitrix24/connections')).body as Array<{ id: string; state: string; domain: string }>;
      expect(connections).toHaveLength(1);
      expect(connections[0]).toMatchObject({ state: 'active', domain: env.sim.domain });
      connectionId = connections[0].id;
      expect(navigations[back]).toContain(`connected=${connectionId}`);

      const item = page.locator(`[data-testid="connection-item"][data-connection-id="${connectionId}"]`);
      await item.waitFor({ state: 'visible' });
      expect(await item.getAttribute('data-state')).toBe('active');
      expect(await item.locator('[data-testid="connection-domain"]').textContent()).toBe(env.sim.domain);
    },
    STEP_TIMEOUT,
  );

  it(
    'Data Access: Synchronize shows live progress to the end and a summary equal to the run’s counters',
    async () => {
      await byTestId('tab-data-access').click();
      const button = byTestId('sync-button');
      await page.waitForFunction(() => {
        const b = document.querySelector<HTMLButtonElement>('[data-testid="sync-button"]');
        return Boolean(b && !b.hidden && !b.disabled) && /No run yet/.test(document.querySelector('[data-testid="last-run"]')?.textContent ?? '');
      });

      // Record every state the progress bar goes through (the page re-renders it on each poll).
      await page.evaluate(() => {
        const bar = document.querySelector('[data-testid="sync-progress"]')!;
        const box = document.querySelector<HTMLElement>('[data-testid="sync-progress-box"]')!;
        const log: ProgressSnapshot[] = [];
        (window as unknown as { __progress: ProgressSnapshot[] }).__progress = log;
        const snap = () => {
          const now = bar.getAttribute('aria-valuenow');
          log.push({
            now: now === null ? null : Number(now),
            max: Number(bar.getAttribute('aria-valuemax')),
            status: box.dataset.status ?? null,
            indeterminate: bar.classList.contains('progress-indeterminate'),
            hidden: box.hidden,
            text: document.querySelector('[data-testid="sync-progress-text"]')?.textContent ?? '',
          });
        };
        const observer = new MutationObserver(snap);
        observer.observe(bar, { attributes: true });
        observer.observe(box, { attributes: true });
      });

      // The whole export of a few hundred people is one batch request (up to 2,450 users per
      // request), so the bar goes from "reading" (indeterminate) to full. Each simulator answer
      // waits 2 s, long enough for the page's 700 ms poll to show the run in between.
      const midway = (s: ProgressSnapshot) => s.status === 'running' && !s.hidden && (s.now === null ? s.indeterminate : s.max !== null && s.now < s.max);
      env.sim.faults.slow(2000);
      try {
        await button.click();
        await page.waitForFunction(
          () =>
            ((window as unknown as { __progress?: ProgressSnapshot[] }).__progress ?? []).some(
              // Same test as midway(), inside the page.
              (s) => s.status === 'running' && !s.hidden && (s.now === null ? s.indeterminate : s.max !== null && s.now < s.max),
            ),
          undefined,
          { timeout: 20_000 },
        );
        await page.screenshot({ path: join(ARTIFACTS, 'data-access-running.png') });
        await page.waitForFunction(
          () => {
            const log = (window as unknown as { __progress?: ProgressSnapshot[] }).__progress ?? [];
            return log.some((s) => s.status === 'succeeded' && s.max !== null && s.max > 0 && s.now === s.max);
          },
          undefined,
          { timeout: 20_000 },
        );
      } finally {
        env.sim.faults.slow(0);
      }
      const log = await page.evaluate(() => (window as unknown as { __progress: ProgressSnapshot[] }).__progress);
      const intermediate = log.find(midway)!;
      expect(intermediate.text).toMatch(/^(Reading users from Bitrix24…|\d+ of \d+ Bitrix24 users processed)$/);
      expect(await page.evaluate(() => document.getElementById('sync-progress-label')?.textContent)).toBe('Finished: succeeded');
      const final = log.find((s) => s.status === 'succeeded')!;
      expect(final).toMatchObject({ now: env.sim.users.length, max: env.sim.users.length, hidden: false, indeterminate: false });
      expect(final.text).toBe(`${env.sim.users.length} of ${env.sim.users.length} Bitrix24 users processed`);
      // Nothing after the end goes backwards.
      expect(log.slice(log.indexOf(final)).every((s) => s.now === final.now || s.hidden)).toBe(true);

      // The summary of the finished run, with its skipped list.
      const summary = page.locator('[data-testid="last-run"] [data-testid="run-summary"][data-status="succeeded"]');
      await summary.waitFor({ state: 'visible' });
      const runId = (await summary.getAttribute('data-run-id'))!;
      run = (await api(`/sync-runs/${runId}`)).body as RunView;
      expect(run).toMatchObject({ status: 'succeeded', trigger: 'manual', connectionId, progress: { processed: env.sim.users.length, total: env.sim.users.length } });
      expect(run.counters.created).toBeGreaterThan(200);
      expect(run.counters.skipped).toBeGreaterThan(0);

      const shown = await summary.locator('[data-testid="summary-counters"] [data-count]').evaluateAll((nodes) =>
        nodes.map((n) => ({ key: n.getAttribute('data-testid')!.replace(/^summary-/, ''), count: Number(n.getAttribute('data-count')), text: n.querySelector('dd')?.textContent ?? '' })),
      );
      expect(shown.map((s) => s.key)).toEqual(
        expect.arrayContaining(['created', 'linked_by_email', 'updated', 'skipped', 'dismissed', 'deleted', 'removed_from_responsible']),
      );
      for (const { key, count, text } of shown) {
        expect({ key, count }).toEqual({ key, count: run.counters[key] ?? 0 });
        expect({ key, text }).toEqual({ key, text: (run.counters[key] ?? 0).toLocaleString('en-US') });
      }

      // The run is over: the progress box goes away after a moment.
      await byTestId('sync-progress-box').waitFor({ state: 'hidden' });
      expect(await button.isDisabled()).toBe(false);
    },
    STEP_TIMEOUT + 15_000,
  );

  it(
    'lists every skipped person with the reason; a person the API reports skipped is on the page with that reason',
    async () => {
      const skipped = await runItems(env.t, account, run.id, 'outcome=skipped');
      expect(skipped).toHaveLength(run.counters.skipped);
      const pick =
        Object.keys(REASON_TEXT)
          .map((reason) => skipped.find((i) => i.reason === reason && i.name))
          .find(Boolean) ?? skipped[0];

      const list = page.locator('[data-testid="last-run"] [data-testid="skipped-list"]');
      await list.locator('[data-testid="skipped-item"]').first().waitFor({ state: 'visible' });
      // Open every page of the list.
      const more = page.locator('[data-testid="last-run"] [data-testid="skipped-load-more"]');
      while (await more.isVisible()) {
        const before = await list.locator('[data-testid="skipped-item"]').count();
        await more.click();
        await page.waitForFunction(
          (n) => document.querySelectorAll('[data-testid="last-run"] [data-testid="skipped-item"]').length > n,
          before,
        );
      }
      await page.waitForFunction(() => !document.querySelector('[data-testid="last-run"] [data-testid="skipped-load-more"]')?.getAttribute('aria-busy'));

      const rows = await list.locator('[data-testid="skipped-item"]').evaluateAll((nodes) =>
        nodes.map((n) => ({
          reason: n.getAttribute('data-reason'),
          name: n.querySelector('.skipped-name')?.textContent ?? '',
          why: n.querySelector('.skipped-reason')?.textContent ?? '',
        })),
      );
      expect(rows).toHaveLength(run.counters.skipped);
      for (const row of rows) expect(row.why.trim()).not.toBe('');

      const item = list.locator(`[data-testid="skipped-item"][data-reason="${pick.reason}"]`).filter({ hasText: pick.name });
      await item.first().waitFor({ state: 'visible' });
      expect(await item.first().locator('.skipped-name').textContent()).toBe(pick.name);
      const why = await item.first().locator('.skipped-reason').textContent();
      if (REASON_TEXT[pick.reason!]) expect(why).toBe(REASON_TEXT[pick.reason!]);
      else expect(why).toBeTruthy();

      // The README's screenshots are taken by console-v2.browser.spec.ts (every tab, both languages).
      await page.screenshot({ path: join(ARTIFACTS, 'data-access.png'), fullPage: true });
    },
    STEP_TIMEOUT,
  );

  it(
    'Employees: "Show dismissed" shows exactly what the API returns for bitrix24State=dismissed, and search finds a person by name',
    async () => {
      const waitForTable = () =>
        page.waitForFunction(() => {
          const table = document.querySelector('[data-testid="employee-table"]');
          return Boolean(table && !table.hasAttribute('aria-busy')) && !/Loading/.test(document.querySelector('[data-testid="employees-status"]')?.textContent ?? '');
        });
      const rowIds = () => page.locator('[data-testid="employee-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-employee-id')));

      await byTestId('tab-employees').click();
      await waitForTable();
      const all = (await api('/employees?limit=100')).body as { items: EmployeeView[] };
      expect(await rowIds()).toEqual(all.items.map((e) => e.id));

      const dismissed = (await api('/employees?bitrix24State=dismissed&limit=100')).body as { items: EmployeeView[]; nextCursor: string | null };
      expect(dismissed.items.length).toBeGreaterThan(0);
      await byTestId('employee-filter-dismissed').check();
      await waitForTable();
      expect(await rowIds()).toEqual(dismissed.items.map((e) => e.id));
      const states = await page.locator('[data-testid="employee-row"] [data-testid="employee-link-state"]').evaluateAll((n) => n.map((x) => x.getAttribute('data-state')));
      expect(states.every((s) => s?.split(' ').includes('dismissed'))).toBe(true);
      expect(await page.locator('[data-testid="employee-row"] [data-testid="employee-badge"]').count()).toBe(dismissed.items.length);

      // Search by a last name (without the "(bitrix24)" tag) among everyone.
      await byTestId('employee-filter-all').check();
      await waitForTable();
      const target = all.items.find((e) => e.bitrix24Links.some((l) => l.state === 'active') && e.lastName.replace(/^\(bitrix24\)\s*/, '').length > 3)!;
      const name = target.lastName.replace(/^\(bitrix24\)\s*/, '');
      const found = (await api(`/employees?limit=100&q=${encodeURIComponent(name)}`)).body as { items: EmployeeView[] };
      expect(found.items.map((e) => e.id)).toContain(target.id);
      await byTestId('employee-search').fill(name);
      await page.waitForFunction(
        (n) => document.querySelectorAll('[data-testid="employee-row"]').length === n && !document.querySelector('[data-testid="employee-table"]')?.hasAttribute('aria-busy'),
        found.items.length,
      );
      expect(await rowIds()).toEqual(found.items.map((e) => e.id));
      const names = await page.locator('[data-testid="employee-row"] [data-testid="employee-name"]').allTextContents();
      expect(names.some((n) => n.includes(name) && n.includes(target.firstName))).toBe(true);
    },
    STEP_TIMEOUT,
  );

  it(
    'keyboard: the tabs are reachable with Tab and switch with the arrow keys; every visible control has an accessible name',
    async () => {
      const tabs = TABS;
      const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName ?? null);
      const selected = () => page.locator('[role="tab"][aria-selected="true"]').getAttribute('data-tab');
      const visiblePanels = () => page.locator('[role="tabpanel"]:not([hidden])').evaluateAll((p) => p.map((x) => x.id));

      // From the top of the page, Tab reaches the selected tab (roving tabindex: one stop for the list).
      // Clicking the (unfocusable) header text puts the sequential-focus starting point there.
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.locator('.brand').click();
      let stops = 0;
      while (!(await focused())?.startsWith('tab-') && stops < 25) {
        await page.keyboard.press('Tab');
        stops++;
      }
      expect(await focused()).toBe('tab-employees');

      await page.keyboard.press('ArrowRight');
      expect(await focused()).toBe('tab-departments');
      expect(await selected()).toBe('departments');
      expect(await visiblePanels()).toEqual(['panel-departments']);
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      expect(await focused()).toBe('tab-data-access');
      expect(await visiblePanels()).toEqual(['panel-data-access']);
      await page.keyboard.press('End');
      expect(await selected()).toBe('api-keys');
      await page.keyboard.press('ArrowRight'); // wraps around
      expect(await selected()).toBe('connection');
      await page.keyboard.press('Home');
      expect(await focused()).toBe('tab-connection');
      // Tab from the tab list moves into the panel, not to the next tab.
      await page.keyboard.press('Tab');
      expect(await focused()).not.toMatch(/^tab-/);

      // Chromium's own accessibility tree: every visible control on every tab has a name.
      const cdp: CDPSession = await context.newCDPSession(page);
      await cdp.send('Accessibility.enable');
      const unnamed: string[] = [];
      for (const tab of tabs) {
        await byTestId(`tab-${tab}`).focus();
        await page.keyboard.press('Enter');
        await page.waitForFunction((t) => !document.getElementById(`panel-${t}`)?.hidden, tab);
        unnamed.push(...(await controlsWithoutName(cdp)).map((what) => `${tab}: ${what}`));
      }
      await cdp.detach();
      expect(unnamed).toEqual([]);
    },
    STEP_TIMEOUT,
  );

  it(
    'layout: no horizontal scrolling at 1280×800 or 375×812 on any tab',
    async () => {
      const tabs = TABS;
      const overflow: string[] = [];
      for (const viewport of [
        { width: 1280, height: 800 },
        { width: 375, height: 812 },
      ]) {
        await page.setViewportSize(viewport);
        for (const tab of tabs) {
          await byTestId(`tab-${tab}`).click();
          await page.waitForFunction((t) => !document.getElementById(`panel-${t}`)?.hidden, tab);
          if (tab === 'history') await byTestId('history-row').first().waitFor({ state: 'visible' });
          if (tab === 'employees') await byTestId('employee-row').first().waitFor({ state: 'visible' });
          overflow.push(...(await horizontalOverflow(page)).map((o) => `${viewport.width}px ${tab}: ${o}`));
        }
        // The History report with its per-person table.
        await byTestId('tab-history').click();
        await byTestId('history-open').first().click();
        await byTestId('report-item').first().waitFor({ state: 'visible' });
        overflow.push(...(await horizontalOverflow(page)).map((o) => `${viewport.width}px history report: ${o}`));
        await byTestId('run-report-close').click();
      }
      await page.setViewportSize({ width: 1280, height: 800 });
      expect(overflow).toEqual([]);
      // Nothing went wrong in the page along the way (script errors, CSP violations, failed loads).
      expect(pageErrors).toEqual([]);
    },
    STEP_TIMEOUT,
  );
});

/** Controls (form fields, buttons, tabs) that Chromium exposes without an accessible name. */
async function controlsWithoutName(cdp: CDPSession): Promise<string[]> {
  const roles = new Set(['textbox', 'searchbox', 'combobox', 'listbox', 'checkbox', 'radio', 'spinbutton', 'slider', 'switch', 'button', 'tab', 'link']);
  const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
    nodes: Array<{ ignored: boolean; role?: { value?: string }; name?: { value?: string }; backendDOMNodeId?: number }>;
  };
  const problems: string[] = [];
  for (const node of nodes) {
    const role = String(node.role?.value ?? '');
    if (node.ignored || !roles.has(role)) continue;
    if (String(node.name?.value ?? '').trim()) continue;
    let what = `${role} without a name`;
    if (node.backendDOMNodeId) {
      const { node: dom } = (await cdp.send('DOM.describeNode', { backendNodeId: node.backendDOMNodeId })) as { node: { nodeName: string; attributes?: string[] } };
      what += ` <${dom.nodeName.toLowerCase()} ${(dom.attributes ?? []).join(' ')}>`;
    }
    problems.push(what);
  }
  return problems;
}
