// The single-file IIFE build on a plain page (loaded twice: the second copy must not throw).
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

test('IIFE on a page that declares no encoding (windows-1252 by default): its text is not mojibake', async ({ page }) => {
  test.setTimeout(180_000);
  // Neither the page nor the script names a charset, as on many older intranet pages and some CDNs:
  // the classic script is decoded in the page's encoding. The build is ASCII only (rollup.config.mjs,
  // asciiOnly); before, "Latest · billing" read "Latest Â· billing" and "● Normal" read "â— Normal".
  const script = readFileSync(join(process.cwd(), 'packages/widget/dist/cx-anomaly-widget.iife.js'));
  server.route('/legacy/widget.js', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end(script);
  });
  server.route('/legacy/page.html', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(
      '<!doctype html><html><head><title>legacy</title></head><body><script src="/legacy/widget.js"></script>' +
        '<cx-anomaly-widget src="/data/intervals.csv" metrics="aht_avg:high,csat_avg:low,transfer_rate:high,volume" time-field="timestamp" segment-field="queue"></cx-anomaly-widget></body></html>',
    );
  });
  await page.goto(`${server.url}/legacy/page.html`);
  expect(await page.evaluate(() => document.characterSet)).toBe('windows-1252');
  await waitReady(page);
  const text = await page.locator('cx-anomaly-widget').evaluate((el) => el.shadowRoot!.textContent!.replace(/\s+/g, ' '));
  expect(text).toMatch(/Latest · \S+ · /);
  expect(text).not.toMatch(/Â|â€|â—/);
});
