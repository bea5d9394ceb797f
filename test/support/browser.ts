import { accessSync, constants } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type LaunchOptions, type Page } from 'playwright-core';

/** Where Debian's `apt-get install chromium` puts the browser; CHROMIUM_PATH overrides. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
}

/**
 * A playwright-core Browser on the system Chromium (playwright-core downloads no browser).
 * Throws a clear error when Chromium is missing instead of Playwright's long one.
 */
export async function launchBrowser(options: Omit<LaunchOptions, 'executablePath'> = {}): Promise<Browser> {
  const executablePath = chromiumPath();
  try {
    accessSync(executablePath, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium was not found at ${executablePath}. Install it with "apt-get install -y chromium" ` +
        '(.ci/run does this when it is missing), or set CHROMIUM_PATH to a Chromium/Chrome executable.',
    );
  }
  return chromium.launch({
    headless: true,
    timeout: 30_000,
    ...options,
    executablePath,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * `describe` when Chromium is there (or CI_REQUIRE_BROWSER is set, so a missing browser
 * fails loudly); otherwise `describe.skip`, with a message saying why.
 */
export function browserDescribe(what: string): jest.Describe {
  const path = chromiumPath();
  const required = !['', '0', 'false'].includes((process.env.CI_REQUIRE_BROWSER ?? '').trim().toLowerCase());
  if (executable(path) || required) return describe;
  process.stderr.write(
    `\n[browser tests] ${what} SKIPPED — Chromium was not found at ${path}: install it with "apt-get install -y chromium" or set CHROMIUM_PATH. ` +
      'Set CI_REQUIRE_BROWSER=1 to make a missing browser fail instead of skipping.\n',
  );
  return describe.skip;
}

/**
 * A page for a console test: 1280×800, en-US, UTC, and every script error or console error
 * collected into `pageErrors` (`ignore` drops the console lines a test provokes on purpose).
 */
export async function openConsolePage(
  browser: Browser,
  options: BrowserContextOptions & { ignore?: RegExp } = {},
): Promise<{ context: BrowserContext; page: Page; pageErrors: string[] }> {
  const { ignore, ...contextOptions } = options;
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: 'UTC', ...contextOptions });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !(ignore && ignore.test(message.text()))) pageErrors.push(`console: ${message.text()}`);
  });
  return { context, page, pageErrors };
}

/** Closes what a console test opened (page context, browser, service, simulator), whatever failed on the way. */
export async function closeConsoleTest(parts: { context?: BrowserContext; browser?: Browser; env?: { t: { close(): Promise<void> }; sim: { stop(): Promise<void> } } }): Promise<void> {
  await parts.context?.close().catch(() => undefined);
  await parts.browser?.close().catch(() => undefined);
  await parts.env?.t.close();
  await parts.env?.sim.stop();
}
