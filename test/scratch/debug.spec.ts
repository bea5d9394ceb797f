import { launchBrowser } from '../support/browser';
import { createAccount } from '../support/accounts';
import { startPortalAndApp } from '../support/bitrix24';
it('debug', async () => {
  const env = await startPortalAndApp({ people: 30, seed: 6 });
  const account = await createAccount(env.t, 'Debug Co');
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 375, height: 812 } });
  page.on('console', (m) => console.log('console', m.type(), m.text()));
  await page.goto(`${env.t.url}/`);
  await page.fill('[data-testid="signin-key"]', account.ownerKey);
  await page.click('[data-testid="signin-submit"]');
  await page.waitForSelector('[data-testid="whoami"]', { state: 'attached' });
  await page.waitForTimeout(500);
  const out = await page.evaluate(() => {
    const w = window.innerWidth;
    return Array.from(document.querySelectorAll<HTMLElement>('body *'))
      .filter((el) => el.getBoundingClientRect().right > w + 0.5 && !el.closest('.tabs-scroll'))
      .map((el) => `${el.tagName}.${el.className} w=${Math.round(el.getBoundingClientRect().width)} r=${Math.round(el.getBoundingClientRect().right)}`).slice(0, 15);
  });
  console.log(out.join('\n'));
  await page.screenshot({ path: '/tmp/debug-375.png', fullPage: false });
  await browser.close();
  await env.t.close();
  await env.sim.stop();
}, 60000);
