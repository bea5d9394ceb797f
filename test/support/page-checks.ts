import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

/** Empty when the document does not scroll sideways; otherwise the widest culprits. */
export function horizontalOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    if (document.documentElement.scrollWidth <= width) return [];
    const culprits = Array.from(document.querySelectorAll<HTMLElement>('body *'))
      .filter((el) => el.getBoundingClientRect().right > width + 0.5 && el.checkVisibility() && !el.closest('.tabs-scroll'))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${String(el.className).split(' ').join('.')}` : ''} right=${Math.round(el.getBoundingClientRect().right)}`);
    return [`scrollWidth ${document.documentElement.scrollWidth} > innerWidth ${width}`, ...culprits];
  });
}

let axeSource: string | null = null;

/**
 * axe-core's violations on the page as it is now (WCAG 2.x A/AA and best practices), one
 * line each with the offending nodes. The page's CSP forbids injected scripts, so the
 * browser context must be created with `bypassCSP: true` for this.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  return violations;
}

export const CONSOLE_SIZES = [
  { width: 1280, height: 800 },
  { width: 375, height: 812 },
] as const;

/** The console's tab bar: open a tab and wait until its panel shows. */
export async function openConsoleTab(page: Page, tab: string): Promise<void> {
  await page.locator(`[data-testid="tab-${tab}"]`).click();
  await page.waitForFunction((t) => !document.getElementById(`panel-${t}`)?.hidden, tab);
}

/** axe-core violations and sideways scrolling on each tab at 1280×800 and 375×812, one line each ("<label> <width>px <tab>: …"). */
export async function tabProblemsAtBothSizes(page: Page, tabs: readonly string[], label = ''): Promise<string[]> {
  const problems: string[] = [];
  for (const viewport of CONSOLE_SIZES) {
    await page.setViewportSize(viewport);
    for (const tab of tabs) {
      await openConsoleTab(page, tab);
      await page.waitForTimeout(300);
      const where = `${label ? `${label} ` : ''}${viewport.width}px ${tab}`;
      problems.push(...(await axeViolations(page)).map((v) => `${where}: ${v}`));
      problems.push(...(await horizontalOverflow(page)).map((v) => `${where}: ${v}`));
    }
  }
  await page.setViewportSize(CONSOLE_SIZES[0]);
  return problems;
}
