// The ESM build imported the npm way (a bare specifier through an import map), with a live
// SSE stream of raw records that the widget scores in its module worker.
import { test, expect } from '@playwright/test';
import { startServer, type StaticServer } from './fixtures/static-server.ts';
import { assertAccessible, serveDemoData, serveStream, shoot, waitReady, watchConsole } from './widget-helpers.ts';

let server: StaticServer;
test.beforeAll(async () => {
  server = await startServer();
  serveStream(server, serveDemoData(server));
});
test.afterAll(async () => server?.close());

for (const theme of ['light', 'dark'] as const) {
  test(`ESM import, module worker and a live stream (${theme})`, async ({ page }) => {
    test.setTimeout(180_000);
    const console = watchConsole(page);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${server.url}/esm.html?theme=${theme}`);
    await waitReady(page);
    expect(await page.evaluate(() => (window as any).__cx.isClass)).toBe(true);
    const widget = page.locator('cx-anomaly-widget');
    expect(await widget.evaluate((el: any) => el.model?.mode)).toBe('module-worker');
    const before = await widget.evaluate((el: any) => el.results.length);
    // Streamed records are scored locally and appended.
    await expect.poll(() => widget.evaluate((el: any) => el.results.length), { timeout: 30_000 }).toBeGreaterThan(before + 5);
    await expect(page.locator('cx-anomaly-widget .status')).toHaveText(/Live/);
    expect(await page.evaluate(() => (window as any).__cx.events.some((e: any) => e.type === 'cx-scored' && e.source === 'stream'))).toBe(true);
    // Pause: the stream's records wait; resume scores them.
    await page.getByRole('button', { name: /Pause stream/ }).click();
    await expect(page.locator('cx-anomaly-widget .status')).toHaveText(/Paused/);
    // Records already handed to the engine before the click still land: let them settle.
    await page.waitForTimeout(1500);
    const paused = await widget.evaluate((el: any) => el.results.length);
    await page.waitForTimeout(1000);
    expect(await widget.evaluate((el: any) => el.results.length)).toBe(paused);
    await shoot(page, `esm-${theme}-wide`);
    await page.getByRole('button', { name: /Resume stream/ }).click();
    await expect.poll(() => widget.evaluate((el: any) => el.results.length), { timeout: 30_000 }).toBeGreaterThan(paused + 2);
    await assertAccessible(page);
    await page.setViewportSize({ width: 420, height: 900 });
    await page.waitForTimeout(300);
    await shoot(page, `esm-${theme}-narrow`);
    console.assertClean();
  });
}
