// A page with a strict CSP: no blob: workers, no eval. The host names the same-origin
// engine.worker.js in `worker-url`.
import { test, expect } from '@playwright/test';
import { startServer, type StaticServer } from './fixtures/static-server.ts';
import { assertAccessible, serveDemoData, shoot, waitReady, watchConsole } from './widget-helpers.ts';

const CSP = "script-src 'self'; worker-src 'self'";
let server: StaticServer;
test.beforeAll(async () => {
  server = await startServer({ '/csp.html': { 'content-security-policy': CSP } });
  serveDemoData(server);
});
test.afterAll(async () => server?.close());

for (const theme of ['light', 'dark'] as const) {
  test(`runs under script-src 'self'; worker-src 'self' with worker-url (${theme})`, async ({ page }) => {
    test.setTimeout(180_000);
    const console = watchConsole(page);
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.setViewportSize({ width: 1280, height: 900 });
    const response = await page.goto(`${server.url}/csp.html?theme=${theme}`);
    expect(response!.headers()['content-security-policy']).toBe(CSP);
    await waitReady(page);
    const widget = page.locator('cx-anomaly-widget');
    expect(await widget.evaluate((el: any) => el.model?.mode)).toBe('url-worker');
    expect(violations).toEqual([]);
    await shoot(page, `csp-${theme}-wide`);
    await assertAccessible(page);
    await page.setViewportSize({ width: 480, height: 900 });
    await page.waitForTimeout(300);
    await shoot(page, `csp-${theme}-narrow`);
    console.assertClean();
  });
}
