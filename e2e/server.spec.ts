/**
 * The demo as `npm start` runs it: the built server (packages/demo-server/dist/main.js, run
 * `npm run build` first) with replay on, the demo page in Chromium. Replayed records reach
 * the widget over SSE; an incident injected from the page's button raises an anomaly on
 * that queue within seconds. A smaller default model (7 days, 30 trees) keeps start-up short.
 */
import { test, expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let child: ChildProcess;
let base = '';
let dir = '';
const logs: string[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  dir = mkdtempSync(join(tmpdir(), 'cx-e2e-server-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ['packages/demo-server/dist/main.js'], {
    env: {
      ...process.env,
      PORT: String(port),
      CX_STORE: join(dir, 'cx.sqlite'),
      CX_REPLAY_SPEED: '3600',
      CX_GENERATE_DAYS: '7',
      CX_NUM_TREES: '30',
      CX_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => logs.push(String(d)));
  child.stderr!.on('data', (d) => logs.push(String(d)));
  const end = Date.now() + 110_000;
  for (;;) {
    if (Date.now() > end) throw new Error(`server did not become ready:\n${logs.join('')}`);
    try {
      const h = await (await fetch(`${base}/health`)).json();
      if (h.status === 'ok' && h.store.scoredThrough > 0) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
});

test.afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the demo page streams replayed records into the widget and shows an injected incident', async ({ page }) => {
  test.setTimeout(120_000); // the machine is shared: leave room when it is loaded
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  // Count the widget's own events (they bubble out of its shadow root).
  await page.addInitScript(() => {
    const w = window as unknown as { cx: { scored: number; anomalies: { segment?: string }[] } };
    w.cx = { scored: 0, anomalies: [] };
    document.addEventListener('cx-scored', (e) => {
      const d = (e as CustomEvent<{ results: unknown[]; source: string }>).detail;
      if (d.source === 'stream') w.cx.scored += d.results.length;
    });
    document.addEventListener('cx-anomaly', (e) => w.cx.anomalies.push((e as CustomEvent<{ segment?: string }>).detail));
  });
  await page.goto(`${base}/`);
  await expect(page.locator('cx-anomaly-widget')).toBeVisible();

  // SSE records reach the widget.
  await expect.poll(() => page.evaluate(() => (window as unknown as { cx: { scored: number } }).cx.scored), { timeout: 40_000 }).toBeGreaterThan(20);
  await expect(page.locator('#status')).toContainText('streamed since this page opened');

  // Inject an outage on one queue from the page; an anomaly on that queue follows within seconds.
  await expect(page.locator('#queue option')).toHaveCount(4);
  await page.locator('#kind').selectOption('outage');
  await page.locator('#queue').selectOption('sales');
  const before = await page.evaluate(() => (window as unknown as { cx: { anomalies: unknown[] } }).cx.anomalies.length);
  const t0 = Date.now();
  await page.locator('#inject').click();
  await expect(page.locator('#injected')).toContainText('injected outage on sales');
  await expect
    .poll(
      () => page.evaluate((n) => (window as unknown as { cx: { anomalies: { segment?: string }[] } }).cx.anomalies.slice(n).some((a) => a.segment === 'sales'), before),
      { timeout: 15_000 },
    )
    .toBe(true);
  const seconds = (Date.now() - t0) / 1000;
  test.info().annotations.push({ type: 'anomaly-after-seconds', description: seconds.toFixed(1) });

  await page.waitForTimeout(1500); // let the views settle for the screenshot
  await page.screenshot({ path: 'test-results/screenshots/server-demo.png', fullPage: true });
  expect(errors.filter((e) => !/favicon/.test(e))).toEqual([]);
});
