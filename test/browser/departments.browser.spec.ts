/**
 * The organization structure in a real Chromium (issue 13): the Departments tab (tree with
 * counts, heads and supervisors, search, a department's people) and the selection editor in
 * Data Access (a tree of checkboxes, "include new departments automatically", "sync
 * managers"), the employee row's departments and manager; axe-core with zero violations and
 * no sideways scrolling at 1280×800 and 375×812.
 *
 *   npx jest test/browser/departments     run it
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import type { Bitrix24Department, Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { browserDescribe, closeConsoleTest, launchBrowser, openConsolePage } from '../support/browser';
import { axeViolations, horizontalOverflow } from '../support/page-checks';
import { employeeByBitrix24Id, synchronize } from '../support/sync';

const suite = browserDescribe('departments suite');
const STEP = 45_000;

const person = (id: number, departments: number[], last: string): Bitrix24User => ({
  ID: String(id), ACTIVE: true, NAME: `Name${id}`, LAST_NAME: last, EMAIL: `p${id}@example.com`, UF_DEPARTMENT: departments, USER_TYPE: 'employee', WORK_PHONE: '+7 495 000 00 ' + String(id).padStart(2, '0'),
});
const TREE: Bitrix24Department[] = [
  { ID: '1', NAME: 'Acme Trading', UF_HEAD: '1' },
  { ID: '2', NAME: 'Sales', PARENT: '1', UF_HEAD: '10' },
  { ID: '3', NAME: 'Sales East', PARENT: '2' },
  { ID: '4', NAME: 'Support', PARENT: '1', UF_HEAD: '40' },
];
const PEOPLE = [person(1, [1], 'Director'), person(10, [2], 'Salesboss'), person(11, [2], 'Seller'), person(30, [3], 'Eastman'), person(40, [4], 'Helper'), person(41, [4, 2], 'Twofold')];

suite('departments in Chromium: the tree, a department’s people, the selection editor, axe', () => {
  let env: PortalAndApp;
  let account: TestAccount;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let connectionId: string;
  let pageErrors: string[] = [];
  const byTestId = (id: string) => page.locator(`[data-testid="${id}"]`);
  const openTab = async (tab: string) => {
    await byTestId(`tab-${tab}`).click();
    await page.waitForFunction((t) => !document.getElementById(`panel-${t}`)?.hidden, tab);
  };
  const checks = async (label: string): Promise<string[]> => {
    const problems: string[] = [];
    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 375, height: 812 },
    ]) {
      await page.setViewportSize(viewport);
      await page.waitForTimeout(200);
      problems.push(...(await axeViolations(page)).map((v) => `${label} ${viewport.width}px: ${v}`));
      problems.push(...(await horizontalOverflow(page)).map((v) => `${label} ${viewport.width}px: ${v}`));
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    return problems;
  };
  const nodeNames = () => page.locator('[data-testid="department-node"] [data-testid="department-open"]').allTextContents();

  beforeAll(async () => {
    browser = await launchBrowser();
    env = await startPortalAndApp({ people: 0, departments: TREE });
    env.sim.setUsers(PEOPLE);
    account = await createAccount(env.t, 'Tel Co');
    connectionId = await connectPortal(env.t, account, env.sim);
    await synchronize(env.t, account, connectionId);
    ({ context, page, pageErrors } = await openConsolePage(browser, { bypassCSP: true }));
    await page.goto(`${env.t.url}/`);
    await byTestId('signin-key').fill(account.ownerKey);
    await byTestId('signin-submit').click();
    await byTestId('whoami').waitFor({ state: 'attached' });
  }, 90_000);

  afterAll(() => closeConsoleTest({ context, browser, env }), 30_000);

  it(
    'shows the tree with counts, heads and supervisors, and finds departments by name',
    async () => {
      await openTab('departments');
      await byTestId('department-tree').waitFor();
      expect(await nodeNames()).toEqual(['Tel Co', 'Acme Trading', 'Acme Trading', 'Sales', 'Sales East', 'Support']);
      const sales = page.locator('[data-testid="department-node"][data-bitrix24-id="2"]').first();
      // Sales: Salesboss, Seller, Twofold directly, Eastman beneath.
      expect(await sales.locator('[data-testid="department-count"]').first().textContent()).toBe('4 people');
      expect(await sales.locator('[data-testid="department-head"]').first().textContent()).toContain('Salesboss');
      expect(await sales.locator('[data-testid="department-supervisor"]').first().textContent()).toContain('Director');
      await byTestId('departments-search').fill('east');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="department-node"]').length === 5);
      expect(await nodeNames()).toEqual(['Tel Co', 'Acme Trading', 'Acme Trading', 'Sales', 'Sales East']);
      expect(await byTestId('departments-status').textContent()).toContain('5');
      expect(await checks('departments tab')).toEqual([]);
      await byTestId('departments-search').fill('');
    },
    STEP,
  );

  it(
    'lists a department’s people (its call group), with or without subdepartments',
    async () => {
      await page.locator('[data-testid="department-node"][data-bitrix24-id="2"] [data-testid="department-open"]').first().click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="department-person"]').length === 4);
      const api = await request(env.t.url).get(`/api/v1/employees?limit=100`).set(bearer(account.ownerKey)).expect(200);
      const sales = (await request(env.t.url).get(`/api/v1/departments?connectionId=${connectionId}&q=Sales`).set(bearer(account.ownerKey)).expect(200)).body.items.find((d: { bitrix24DepartmentId: number }) => d.bitrix24DepartmentId === 2);
      const group = (await request(env.t.url).get(`/api/v1/departments/${sales.id}/employees?includeSubdepartments=true&state=active`).set(bearer(account.ownerKey)).expect(200)).body.items.map((e: { id: string }) => e.id).sort();
      const shown = (await page.locator('[data-testid="department-person"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-employee-id')))).sort();
      expect(shown).toEqual(group);
      expect(api.body.total).toBe(6);
      await byTestId('department-branch').uncheck();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="department-person"]').length === 3);
      expect(await byTestId('department-people-status').textContent()).toContain('3');
      expect(await checks('department people')).toEqual([]);
    },
    STEP,
  );

  it(
    'shows each employee’s departments (Bitrix24 order) and manager in the directory',
    async () => {
      await openTab('employees');
      const twofold = (await employeeByBitrix24Id(env.t, connectionId, 41))!.id as string;
      const row = page.locator(`[data-testid="employee-row"][data-employee-id="${twofold}"]`);
      await row.waitFor();
      expect(await row.locator('[data-testid="employee-departments"]').textContent()).toBe('Support, Sales');
      expect(await row.locator('[data-testid="employee-manager"]').textContent()).toContain('Helper');
    },
    STEP,
  );

  it(
    'edits the selection as a tree of checkboxes; saving starts a synchronization',
    async () => {
      await openTab('data-access');
      await byTestId('scope-editor').waitFor();
      expect(await byTestId('scope-all').isChecked()).toBe(true);
      expect(await byTestId('scope-managers').isChecked()).toBe(true);
      await byTestId('scope-selected').check();
      await byTestId('scope-tree').waitFor();
      await page.locator('[data-testid="scope-node"][data-bitrix24-id="2"] > .choice [data-testid="scope-check"]').check();
      // Sales East comes with Sales: ticked and locked.
      const east = page.locator('[data-testid="scope-node"][data-bitrix24-id="3"]');
      expect(await east.getAttribute('data-mark')).toBe('inherited');
      expect(await east.locator('[data-testid="scope-check"]').isDisabled()).toBe(true);
      await byTestId('scope-include-new').uncheck();
      expect(await checks('selection editor')).toEqual([]);
      // Before applying: a preview with this selection (issue 14), reported under "Last run", nothing saved.
      await byTestId('scope-preview').click();
      await page.waitForFunction(() => /Preview started/.test(document.querySelector('[data-testid="scope-status"]')?.textContent ?? ''));
      await page.waitForFunction(() => {
        const run = document.querySelector('[data-testid="last-run"] [data-testid="run-summary"]');
        return run?.getAttribute('data-dry-run') === 'true' && run.getAttribute('data-status') === 'succeeded' && Boolean(run.querySelector('[data-testid="run-preview-scope"]'));
      });
      expect(await byTestId('run-preview-scope').textContent()).toContain('1 department ticked');
      const unsaved = (await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(account.ownerKey)).expect(200)).body;
      expect(unsaved.settings.departmentScope.mode).toBe('all');
      expect(await checks('preview of a selection')).toEqual([]);
      await byTestId('scope-save').click();
      await page.waitForFunction(() => /synchronization has started/.test(document.querySelector('[data-testid="scope-status"]')?.textContent ?? ''));
      const connection = (await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(account.ownerKey)).expect(200)).body;
      expect(connection.settings.departmentScope).toEqual({ mode: 'selected', bitrix24DepartmentIds: [2], includeNewDepartments: false });
      const [queued] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM sync_run WHERE connection_id = $1 AND trigger = 'manual'`, [connectionId]);
      expect(queued.n).toBeGreaterThanOrEqual(2);
      // Saving the same again changes nothing.
      await byTestId('scope-save').click();
      await page.waitForFunction(() => /Nothing changed|nothing/i.test(document.querySelector('[data-testid="scope-status"]')?.textContent ?? ''));
      expect(pageErrors).toEqual([]);
    },
    STEP,
  );
});
