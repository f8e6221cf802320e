// The single-file IIFE build on a plain page (loaded twice: the second copy must not throw).
import { test, expect } from '@playwright/test';
import { startServer, type StaticServer } from './fixtures/static-server.ts';
import { assertAccessible, serveDemoData, shoot, waitReady, watchConsole } from './widget-helpers.ts';

let server: StaticServer;
test.beforeAll(async () => {
  server = await startServer();
  serveDemoData(server);
});
test.afterAll(async () => server?.close());

for (const theme of ['light', 'dark'] as const) {
  test(`IIFE build renders, scores and passes axe (${theme})`, async ({ page }) => {
    test.setTimeout(180_000);
    const console = watchConsole(page);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${server.url}/iife.html?theme=${theme}`);
    await waitReady(page);
    const widget = page.locator('cx-anomaly-widget');
    // The engine ran in the IIFE's inlined blob worker.
    expect(await widget.evaluate((el: any) => el.model?.mode)).toBe('blob-worker');
    await expect(page.locator('cx-score-timeline .chart')).toBeVisible();
    expect(await widget.evaluate((el: any) => el.anomalies.length)).toBeGreaterThan(0);
    await shoot(page, `iife-${theme}-wide`);
    await assertAccessible(page);
    await page.setViewportSize({ width: 760, height: 900 });
    await page.waitForTimeout(300);
    await shoot(page, `iife-${theme}-narrow`);
    console.assertClean();
  });
}
