// The widget inside a 320 px iframe (an agent console's sidebar).
import { test, expect } from '@playwright/test';
import { startServer, type StaticServer } from './fixtures/static-server.ts';
import { serveDemoData, shoot, waitReady, watchConsole } from './widget-helpers.ts';
import AxeBuilder from '@axe-core/playwright';

let server: StaticServer;
test.beforeAll(async () => {
  server = await startServer();
  serveDemoData(server);
});
test.afterAll(async () => server?.close());

for (const theme of ['light', 'dark'] as const) {
  test(`fits a 320 px iframe sidebar without horizontal overflow (${theme})`, async ({ page }) => {
    test.setTimeout(180_000);
    const console = watchConsole(page);
    await page.setViewportSize({ width: 1100, height: 1600 });
    await page.goto(`${server.url}/sidebar.html?theme=${theme}`);
    const frame = page.frameLocator('#frame');
    const handle = await page.$('#frame');
    const f = (await handle!.contentFrame())!;
    await waitReady(f);
    const widths = await f.evaluate(() => {
      const el = document.querySelector('cx-anomaly-widget')!;
      return { doc: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, el: el.getBoundingClientRect().width };
    });
    expect(widths.client).toBeLessThanOrEqual(320);
    expect(widths.doc, 'no horizontal scrolling in the sidebar').toBeLessThanOrEqual(widths.client);
    await expect(frame.locator('cx-score-timeline .chart')).toBeVisible();
    // Open the why panel with the keyboard, as a sidebar user would.
    await frame.locator('cx-score-timeline .chart').focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+ArrowLeft');
    await page.keyboard.press('Enter');
    await expect(frame.locator('cx-why-panel h3')).toHaveText(/Why flagged|Point details/);
    await shoot(page, `sidebar-${theme}-wide`);
    // The frame alone, at its real size: what the designer checks.
    await handle!.screenshot({ path: `test-results/screenshots/sidebar-${theme}-narrow.png` });
    const results = await new AxeBuilder({ page }).include('#frame').analyze();
    const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`)).toEqual([]);
    await page.keyboard.press('Escape');
    await expect(frame.locator('cx-why-panel')).toHaveCount(0);
    console.assertClean();
  });
}
