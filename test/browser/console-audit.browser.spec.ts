/**
 * The audit trail and unlinking in the console, in a real Chromium (playwright-core +
 * /usr/bin/chromium), on the simulator: an employee unlinked from Bitrix24 (confirmed first)
 * is kept, the link is gone, the user is listed as excluded and the next sync does not match
 * them again; "Allow matching again" (confirmed too) and the next sync links them again; the
 * audit trail shows each decision with its key, filters by Bitrix24 user and loads more by
 * the API's cursor; axe-core with zero violations at 1280×800 and 375×812.
 *
 * The steps share one page and run in order; each builds on the one before.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { browserDescribe, launchBrowser, openConsolePage } from '../support/browser';
import { axeViolations, openConsoleTab, tabProblemsAtBothSizes } from '../support/page-checks';
import { employeeByBitrix24Id, runItems, synchronize } from '../support/sync';
import { person } from '../support/people';

const STEP = 60_000;

const suite = browserDescribe('console audit suite');

suite('the audit trail and unlinking in Chromium: unlink (confirmed), the exclusions list, allow matching again, the audit trail', () => {
  let env: PortalAndApp;
  let account: TestAccount;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let connectionId: string;
  let unlinkedId: string;
  let pageErrors: string[] = [];

  const api = (path: string) => request(env.t.url).get(`/api/v1${path}`).set(bearer(account.ownerKey)).expect(200);
  const byTestId = (id: string) => page.locator(`[data-testid="${id}"]`);
  const openTab = (tab: string) => openConsoleTab(page, tab);
  const flashSays = (pattern: RegExp) => page.waitForFunction((source) => new RegExp(source).test(document.querySelector('[data-testid="flash"]')?.textContent ?? ''), pattern.source);
  const employeeCount = async () => ((await api('/employees?limit=1')).body as { total: number }).total;
  const auditActions = (rows = page.locator('[data-testid="audit-row"]')) => rows.evaluateAll((list) => list.map((r) => `${r.getAttribute('data-action')}:${r.getAttribute('data-bitrix24-user-id')}`));

  beforeAll(async () => {
    browser = await launchBrowser();
    env = await startPortalAndApp({
      people: [person(1), person(2, { WORK_PHONE: '+7 495 111-22-33' }), person(3)],
      departments: [{ ID: '1', NAME: 'Company', PARENT: null, UF_HEAD: '1', SORT: '500' }],
    });
    account = await createAccount(env.t, 'Audit Co');
    connectionId = await connectPortal(env.t, account, env.sim);
    await synchronize(env.t, account, connectionId);
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
    'unlinks an employee from Bitrix24 after saying what it does: the employee is kept, the link gone, the user excluded and in the audit trail; the next sync does not match them again',
    async () => {
      unlinkedId = String((await employeeByBitrix24Id(env.t, connectionId, 2))!.id);
      const employees = await employeeCount();
      const domain = ((await api(`/bitrix24/connections/${connectionId}`)).body as { domain: string }).domain;
      await page.goto(`${env.t.url}/`);
      await byTestId('signin-key').fill(account.ownerKey);
      await byTestId('signin-submit').click();
      await byTestId('whoami').waitFor({ state: 'attached' });
      await openTab('employees');
      const row = page.locator(`[data-testid="employee-row"][data-employee-id="${unlinkedId}"]`);
      await row.waitFor();
      expect(await byTestId('exclusions-empty').textContent()).toBe('Nobody is excluded from matching.');

      const unlink = row.locator('[data-testid="employee-unlink"]');
      expect(await unlink.getAttribute('data-bitrix24-user-id')).toBe('2');
      await unlink.click();
      await byTestId('confirm-dialog').waitFor();
      expect(await byTestId('confirm-text').locator('p').allTextContents()).toEqual([
        'Last2 Name2 stays an employee here, unchanged: nothing is deleted, and the phones, extension and place on the responsible list stay as they are.',
        `Bitrix24 user #2 (${domain}) will not be matched again: every synchronization skips them (“excluded by the owner”) until you allow matching again under “Excluded from matching” below.`,
        '1 link is removed; the audit trail records it with your key.',
      ]);
      expect(await axeViolations(page)).toEqual([]);
      // Cancel changes nothing.
      await byTestId('confirm-cancel').click();
      expect(await employeeByBitrix24Id(env.t, connectionId, 2)).toMatchObject({ id: unlinkedId });
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('employee-unlink');

      await unlink.click();
      await byTestId('confirm-ok').click();
      await flashSays(/Last2 Name2 is unlinked from Bitrix24 user #2/);
      await row.locator('[data-testid="employee-link-state"][data-state="unlinked"]').waitFor();
      expect(await employeeByBitrix24Id(env.t, connectionId, 2)).toBeNull();
      const kept = (await api(`/employees/${unlinkedId}`)).body as { active: boolean; bitrix24Links: unknown[]; phones: Array<{ number: string }> };
      expect(kept).toMatchObject({ active: true, bitrix24Links: [], phones: [{ number: '74951112233' }] });
      expect(await employeeCount()).toBe(employees);

      const excluded = page.locator('[data-testid="exclusion-row"][data-bitrix24-user-id="2"]');
      await excluded.waitFor();
      expect(await excluded.getAttribute('data-employee-id')).toBe(unlinkedId);
      expect(await excluded.locator('td').evaluateAll((cells) => cells.slice(0, 2).map((c) => c.textContent))).toEqual(['Last2 Name2', '2']);

      await openTab('audit');
      await byTestId('audit-row').first().waitFor();
      expect(await auditActions()).toEqual(['user_link.removed:2']);
      const entry = byTestId('audit-row').first();
      expect(await entry.getAttribute('data-employee-id')).toBe(unlinkedId);
      expect(await entry.locator('[data-testid="audit-what"]').textContent()).toBe('Unlinked, not matched again');
      expect(await entry.locator('[data-testid="audit-person"]').textContent()).toBe('Last2 Name2Bitrix24 user #2');
      expect(await entry.locator('[data-testid="audit-who"]').textContent()).toMatch(/Role: owner$/);
      expect(await entry.locator('[data-testid="audit-detail"]').textContent()).toContain('The employee is kept');

      const run = await synchronize(env.t, account, connectionId);
      expect((await runItems(env.t, account, run.id)).find((i) => i.bitrix24UserId === 2)).toMatchObject({ outcome: 'skipped', reason: 'excluded_by_owner', employeeId: null });
      expect(await employeeByBitrix24Id(env.t, connectionId, 2)).toBeNull();
      expect(await employeeCount()).toBe(employees);
    },
    STEP,
  );

  it(
    '"Allow matching again" says what it does, asks first, and the next sync links the same employee again',
    async () => {
      await openTab('employees');
      const allow = page.locator('[data-testid="exclusion-row"][data-bitrix24-user-id="2"] [data-testid="exclusion-allow"]');
      await allow.click();
      await byTestId('confirm-dialog').waitFor();
      expect(await byTestId('confirm-text').textContent()).toContain('From the next synchronization, Last2 Name2 is matched automatically again');
      await byTestId('confirm-cancel').click();
      expect(((await api(`/bitrix24/connections/${connectionId}/user-exclusions`)).body as unknown[]).length).toBe(1);

      await allow.click();
      await byTestId('confirm-ok').click();
      await flashSays(/Bitrix24 user #2 is matched automatically again/);
      await byTestId('exclusions-empty').waitFor();
      expect((await api(`/bitrix24/connections/${connectionId}/user-exclusions`)).body).toEqual([]);

      await synchronize(env.t, account, connectionId);
      expect(await employeeByBitrix24Id(env.t, connectionId, 2)).toMatchObject({ id: unlinkedId, matched_by: 'email' });
      await openTab('audit');
      await page.locator('[data-testid="audit-row"]').nth(1).waitFor();
      expect(await auditActions()).toEqual(['user_exclusion.removed:2', 'user_link.removed:2']);
      expect(await byTestId('audit-row').first().locator('[data-testid="audit-what"]').textContent()).toBe('Matching allowed again');
      expect(pageErrors).toEqual([]);
    },
    STEP,
  );

  it(
    'the audit trail filters by Bitrix24 user and loads more by cursor; Employees and the audit trail have no axe violations at both sizes',
    async () => {
      // 26 unlinks and 25 lifts of #3 through the API: 51 events of theirs, more than a page; #3 ends excluded.
      const key = bearer(account.ownerKey);
      for (let i = 0; i < 26; i++) {
        await request(env.t.url).delete(`/api/v1/bitrix24/connections/${connectionId}/user-links/3`).set(key).expect(200);
        if (i < 25) await request(env.t.url).delete(`/api/v1/bitrix24/connections/${connectionId}/user-exclusions/3`).set(key).expect(200);
      }
      await openTab('employees');
      await openTab('audit');
      await page.locator('[data-testid="audit-row"]').nth(49).waitFor();
      expect(await byTestId('audit-row').count()).toBe(50);
      await byTestId('audit-load-more').click();
      await page.locator('[data-testid="audit-row"]').nth(52).waitFor();
      expect(await byTestId('audit-row').count()).toBe(53);
      expect((await auditActions()).slice(-2)).toEqual(['user_exclusion.removed:2', 'user_link.removed:2']);
      expect(await byTestId('audit-load-more').count()).toBe(0);

      await byTestId('audit-filter-user').fill('abc');
      await byTestId('audit-filter-apply').click();
      expect(await byTestId('audit-filter-problem').textContent()).toBe('Type a Bitrix24 user ID: a whole number from 1.');
      await byTestId('audit-filter-user').fill('2');
      await byTestId('audit-filter-apply').click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-row"]').length === 2);
      expect(await auditActions()).toEqual(['user_exclusion.removed:2', 'user_link.removed:2']);
      expect(await byTestId('audit-filter-problem').count()).toBe(0);
      expect(await byTestId('audit-load-more').count()).toBe(0);

      expect(await tabProblemsAtBothSizes(page, ['employees', 'audit'])).toEqual([]);
      // On a phone the audit trail's rows are cards: each cell on its own line, labelled.
      await page.setViewportSize({ width: 375, height: 812 });
      await openTab('audit');
      await byTestId('audit-row').first().waitFor();
      expect(await byTestId('audit-table').locator('thead').evaluate((head) => getComputedStyle(head).display)).toBe('none');
      expect(await byTestId('audit-row').first().locator('td').evaluateAll((tds) => tds.map((td) => getComputedStyle(td).display))).toEqual(['block', 'block', 'block', 'block', 'block']);
      await openTab('employees');
      await page.locator('[data-testid="exclusion-row"][data-bitrix24-user-id="3"]').waitFor();
      expect(await axeViolations(page)).toEqual([]);
      await page.setViewportSize({ width: 1280, height: 800 });
      expect(pageErrors).toEqual([]);
    },
    STEP,
  );
});
