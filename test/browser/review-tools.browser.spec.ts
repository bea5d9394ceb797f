/**
 * Review tools in a real Chromium (playwright-core + /usr/bin/chromium), on the simulator:
 * the first import previewed and then applied, one person checked step by step and imported
 * on demand, a skipped person (ambiguous_email) linked by hand to a chosen employee and the
 * link surviving the next sync, "never match" (confirmed first) and "match again", a preview
 * of a head who cannot be set and a manager who would change; axe-core with zero violations
 * at 1280×800 and 375×812.
 *
 * The steps share one page and run in order; each builds on the one before.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { browserDescribe, launchBrowser, openConsolePage } from '../support/browser';
import { axeViolations, openConsoleTab, tabProblemsAtBothSizes } from '../support/page-checks';
import { employeeByBitrix24Id } from '../support/sync';
import { person } from '../support/people';

const STEP = 60_000;

const suite = browserDescribe('review tools suite');

suite('review tools in Chromium: preview then apply, one-person check, a manual link that survives the next sync', () => {
  let env: PortalAndApp;
  let account: TestAccount;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let connectionId: string;
  let twinB: string;
  let pageErrors: string[] = [];

  const api = (path: string) => request(env.t.url).get(`/api/v1${path}`).set(bearer(account.ownerKey)).expect(200);
  const byTestId = (id: string) => page.locator(`[data-testid="${id}"]`);
  const openTab = (tab: string) => openConsoleTab(page, tab);
  const lastRun = () => page.locator('[data-testid="last-run"] [data-testid="run-summary"]');
  /** Waits until the Data Access tab shows a finished run of the given kind. */
  const waitForFinishedRun = (dryRun: boolean, notRunId = '') =>
    page.waitForFunction(
      ([dry, previous]) => {
        const summary = document.querySelector('[data-testid="last-run"] [data-testid="run-summary"]');
        return Boolean(
          summary && summary.getAttribute('data-dry-run') === dry && summary.getAttribute('data-run-id') !== previous && ['succeeded', 'awaiting_confirmation'].includes(summary.getAttribute('data-status') ?? ''),
        );
      },
      [String(dryRun), notRunId],
      { timeout: 30_000 },
    );
  /** Presses Synchronize and waits for that run (not the one shown before) to finish. */
  const synchronizeOnPage = async () => {
    const previous = (await lastRun().getAttribute('data-run-id')) ?? '';
    await byTestId('sync-button').click();
    await waitForFinishedRun(false, previous);
  };
  const count = async (key: string) => Number(await lastRun().locator(`[data-testid="summary-${key}"]`).getAttribute('data-count'));
  const employeesTotal = async () => ((await api('/employees?limit=1')).body as { total: number }).total;
  const problemsAtBothSizes = (tabs: string[]) => tabProblemsAtBothSizes(page, tabs);

  beforeAll(async () => {
    browser = await launchBrowser();
    env = await startPortalAndApp({
      // #3 shares an address with two employees already here (ambiguous_email).
      people: [person(1), person(2, { WORK_PHONE: '+7 495 111-22-33' }), person(3, { EMAIL: 'twin@example.com' }), person(4, { EMAIL: '' })],
      departments: [{ ID: '1', NAME: 'Company', PARENT: null, UF_HEAD: '1', SORT: '500' }],
    });
    account = await createAccount(env.t, 'Review Co');
    const key = bearer(account.ownerKey);
    await request(env.t.url).post('/api/v1/employees').set(key).send({ firstName: 'Twin', lastName: 'Alpha', email: 'twin@example.com' }).expect(201);
    twinB = (await request(env.t.url).post('/api/v1/employees').set(key).send({ firstName: 'Twin', lastName: 'Bravo', email: 'twin@example.com' }).expect(201)).body.id;
    connectionId = await connectPortal(env.t, account, env.sim);
    // axe-core is injected as a script, which the page's CSP (rightly) forbids: bypass it for the test only.
    ({ context, page, pageErrors } = await openConsolePage(browser, { bypassCSP: true }));
  }, 60_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await env?.t.close();
    await env?.sim.stop();
  }, 30_000);

  it(
    'previews the first import (nothing written), then applies it with Synchronize',
    async () => {
      await page.goto(`${env.t.url}/`);
      await byTestId('signin-key').fill(account.ownerKey);
      await byTestId('signin-submit').click();
      await byTestId('whoami').waitFor({ state: 'attached' });
      await openTab('data-access');
      const preview = byTestId('preview-button');
      await preview.waitFor();
      expect(await preview.textContent()).toBe('Preview the first import');
      const before = await employeesTotal();
      await preview.click();
      await waitForFinishedRun(true);
      expect(await byTestId('run-preview').textContent()).toContain('Nothing was changed');
      expect(await lastRun().locator('[data-testid="run-preview-badge"]').count()).toBe(1);
      const previewed = { created: await count('created'), skipped: await count('skipped') };
      expect(previewed).toEqual({ created: 2, skipped: 2 });
      expect(await employeesTotal()).toBe(before);
      expect(await employeeByBitrix24Id(env.t, connectionId, 1)).toBeNull();

      await byTestId('sync-button').click();
      await waitForFinishedRun(false);
      expect({ created: await count('created'), skipped: await count('skipped') }).toEqual(previewed);
      expect(await employeesTotal()).toBe(before + 2);
      expect(await byTestId('run-preview').count()).toBe(0);
      expect(await preview.textContent()).toBe('Preview');
      // History lists both, the preview marked.
      await openTab('history');
      await page.locator('[data-testid="history-open"]').nth(1).waitFor();
      expect(await page.locator('[data-testid="run-preview-badge"]').count()).toBe(1);
      await openTab('data-access');
    },
    STEP,
  );

  it(
    'checks one person step by step, then imports them now',
    async () => {
      env.sim.addUser(person(5, { LAST_NAME: 'Newcomer' }));
      await byTestId('user-check-input').fill('abc');
      await byTestId('user-check-submit').click();
      expect(await byTestId('user-check-problem').textContent()).toBe('Type a Bitrix24 user ID (a number) or an email address.');

      await byTestId('user-check-input').fill('user4@example.com');
      await byTestId('user-check-submit').click();
      await byTestId('user-check-result').waitFor();
      expect(await byTestId('user-check-result').getAttribute('data-reason')).toBe('not_found_on_portal');

      await byTestId('user-check-input').fill('5');
      await byTestId('user-check-submit').click();
      await page.locator('[data-testid="user-check-result"][data-outcome="created"]').waitFor();
      expect(await page.locator('[data-testid="user-check-step"]').evaluateAll((steps) => steps.map((s) => `${s.getAttribute('data-step')}:${s.getAttribute('data-status')}`))).toEqual([
        'fetched:passed',
        'in_scope:passed',
        'required_fields:passed',
        'match:passed',
        'planned_action:passed',
      ]);
      expect(await page.locator('[data-testid="user-check-step"][data-step="match"]').textContent()).toContain('a new employee will be created');
      // Their manager: the head of their first department (Company, UF_HEAD 1).
      const manager = byTestId('user-check-manager');
      expect(await manager.getAttribute('data-manager')).toBe('1');
      expect(await manager.getAttribute('data-changed')).toBe('true');
      expect(await manager.textContent()).toMatch(/^Manager after the import: .+ \(Bitrix24 user 1\) \(changes\)$/);
      expect(await employeeByBitrix24Id(env.t, connectionId, 5)).toBeNull();

      await byTestId('user-check-apply').click();
      await byTestId('user-check-applied').waitFor();
      for (let i = 0; i < 100 && !(await employeeByBitrix24Id(env.t, connectionId, 5)); i++) await page.waitForTimeout(100);
      expect(await employeeByBitrix24Id(env.t, connectionId, 5)).toMatchObject({ last_name: '(bitrix24) Newcomer' });

      // An update shows each field with its value now and after.
      env.sim.updateUser(2, { NAME: 'Renamed' });
      await byTestId('user-check-input').fill('2');
      await byTestId('user-check-submit').click();
      await page.locator('[data-testid="user-check-result"][data-outcome="updated"]').waitFor();
      expect(await page.locator('[data-testid="user-check-change"][data-field="firstName"]').evaluate((row) => Array.from(row.querySelectorAll('td')).map((td) => td.textContent))).toEqual(['First name', 'Name2', 'Renamed']);
      expect(await problemsAtBothSizes(['data-access', 'history'])).toEqual([]);
    },
    STEP,
  );

  it(
    'links a skipped person (ambiguous_email) to the chosen employee, and the link survives the next sync',
    async () => {
      await openTab('data-access');
      const skipped = lastRun().locator('[data-testid="skipped-item"][data-reason="ambiguous_email"]');
      await skipped.waitFor();
      await skipped.locator('[data-testid="skipped-link"]').click();
      await byTestId('link-search').fill('Bravo');
      await page.locator(`[data-testid="link-choose"][data-employee-id="${twinB}"]`).click();
      expect(await byTestId('link-done').textContent()).toContain('Every later synchronization keeps this link');
      expect(await problemsAtBothSizes(['data-access'])).toEqual([]);

      await synchronizeOnPage();
      expect(await employeeByBitrix24Id(env.t, connectionId, 3)).toMatchObject({ id: twinB, matched_by: 'manual', last_name: '(bitrix24) Last3' });
      await synchronizeOnPage();
      expect(await employeeByBitrix24Id(env.t, connectionId, 3)).toMatchObject({ id: twinB, matched_by: 'manual' });
      expect(await lastRun().locator('[data-testid="skipped-item"][data-reason="ambiguous_email"]').count()).toBe(0);
    },
    STEP,
  );

  it(
    '"never match" asks first, then every sync skips the person until "match again"; all of it in the audit trail',
    async () => {
      const missing = () => lastRun().locator('[data-testid="skipped-item"][data-reason="missing_email"]');
      // Person 4 has been skipped since the first sync: an unchanged re-sync itemizes nothing for
      // them (issue 12), and the last run still lists them, from the connection's current problems.
      await synchronizeOnPage();
      const runId = await lastRun().getAttribute('data-run-id');
      const itemized = (await api(`/sync-runs/${runId}/items?outcome=skipped&limit=1000`)).body.items as Array<{ bitrix24UserId: number }>;
      expect(itemized.filter((i) => i.bitrix24UserId === 4)).toEqual([]);
      await missing().locator('[data-testid="skipped-exclude"]').click();
      const dialog = byTestId('confirm-dialog');
      await dialog.waitFor();
      expect(await byTestId('confirm-text').textContent()).toContain('No employee is deleted or changed');
      expect(await axeViolations(page)).toEqual([]);
      await byTestId('confirm-cancel').click();
      expect(await env.t.dataSource.query(`SELECT 1 FROM bitrix24_user_exclusion`)).toEqual([]);
      await missing().locator('[data-testid="skipped-exclude"]').click();
      await byTestId('confirm-ok').click();
      await page.waitForFunction(() => /no longer matched/.test(document.querySelector('[data-testid="flash"]')?.textContent ?? ''));

      await synchronizeOnPage();
      const excluded = lastRun().locator('[data-testid="skipped-item"][data-reason="excluded_by_owner"]');
      await excluded.waitFor();
      expect(await excluded.textContent()).toContain('The owner unlinked this user');
      // Matching again is asked first too, saying what the next sync does.
      await excluded.locator('[data-testid="skipped-include"]').click();
      expect(await byTestId('confirm-text').textContent()).toContain('Last4 Name4 is matched automatically again');
      await byTestId('confirm-ok').click();
      await page.waitForFunction(() => /matched automatically again/.test(document.querySelector('[data-testid="flash"]')?.textContent ?? ''));
      await synchronizeOnPage();
      await missing().waitFor();

      const audit = (await api('/audit-events')).body.items as Array<{ action: string; bitrix24UserId: number }>;
      expect(audit.map((a) => `${a.action}:${a.bitrix24UserId}`)).toEqual(['user_exclusion.removed:4', 'user_link.removed:4', 'user_link.set:3', 'user_check.applied:5']);
      expect(pageErrors).toEqual([]);
    },
    STEP,
  );

  it(
    'a preview reports a head that cannot be set and a manager that would change, in words (English and Russian), as the real run then does',
    async () => {
      // A new Sales department headed by #4 (skipped: no email), and #2 moved into it: #2 would lose their manager.
      env.sim.addDepartment({ ID: '2', NAME: 'Sales', PARENT: '1', UF_HEAD: '4', SORT: '600' });
      env.sim.updateUser(2, { UF_DEPARTMENT: [2] });
      const managerOf2 = async () => (await employeeByBitrix24Id(env.t, connectionId, 2))!.manager_id;
      const managerBefore = await managerOf2();
      expect(managerBefore).not.toBeNull();
      await openTab('data-access');
      const previous = (await lastRun().getAttribute('data-run-id')) ?? '';
      await byTestId('preview-button').click();
      await waitForFinishedRun(true, previous);
      const previewed = { departments: await count('department_created'), heads: await count('head_unresolved'), managers: await count('manager_changed') };
      expect(previewed).toEqual({ departments: 1, heads: 1, managers: 1 });
      const group = lastRun().locator('[data-testid="summary-departments"]');
      expect(await group.getAttribute('aria-label')).toBe('Departments and managers');
      expect(await group.textContent()).toContain('Managers changed');
      expect(await managerOf2()).toBe(managerBefore);

      // The preview's report says why, person by person.
      await openTab('history');
      await byTestId('history-open').first().click();
      const managerItem = page.locator('[data-testid="report-item"][data-outcome="manager_changed"]');
      await managerItem.waitFor();
      expect(await managerItem.textContent()).toContain('no manager now');
      const headItem = page.locator('[data-testid="report-item"][data-outcome="head_unresolved"]');
      expect(await headItem.textContent()).toContain('head: Bitrix24 user #4');
      expect(await headItem.textContent()).toContain('The head is not imported');
      await byTestId('language-switch').selectOption('ru');
      await page.waitForFunction(() => /руководителя больше нет/.test(document.querySelector('[data-testid="report-item"][data-outcome="manager_changed"]')?.textContent ?? ''));
      expect(await page.locator('[data-testid="report-item"][data-outcome="manager_changed"]').textContent()).toContain('Сменился руководитель');
      expect(await problemsAtBothSizes(['history', 'data-access'])).toEqual([]);
      expect(await lastRun().locator('[data-testid="summary-departments"]').getAttribute('aria-label')).toBe('Подразделения и руководители');
      await byTestId('language-switch').selectOption('en');

      await openTab('data-access');
      await synchronizeOnPage();
      expect({ departments: await count('department_created'), heads: await count('head_unresolved'), managers: await count('manager_changed') }).toEqual(previewed);
      expect(await managerOf2()).toBeNull();
      expect(pageErrors).toEqual([]);
    },
    STEP,
  );
});
