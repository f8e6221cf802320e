/** Shared steps of the widget e2e specs (not a spec itself). */
import { expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { intervalRecords, toCsv } from '../stories/cx-data.ts';
import type { StaticServer } from './fixtures/static-server.ts';

export const SCREENSHOT_DIR = join('test-results', 'screenshots');
mkdirSync(SCREENSHOT_DIR, { recursive: true });

/** Registers /data/intervals.csv: 6 days of two queues from the engine's generator. */
export function serveDemoData(server: StaticServer): string {
  const csv = toCsv(intervalRecords(6, 11, ['billing', 'tech_support']).records);
  server.route('/data/intervals.csv', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'cache-control': 'no-store' });
    res.end(csv);
  });
  return csv;
}

/** Collects console errors and uncaught exceptions; `assertClean` fails the test on any. */
export function watchConsole(page: Page): { errors: string[]; assertClean(): void } {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  return {
    errors,
    assertClean: () => expect(errors, errors.join('\n')).toEqual([]),
  };
}

/** Waits until the widget (in `page` or a frame) has scored its data. */
export async function waitReady(target: Page | import('@playwright/test').Frame, selector = 'cx-anomaly-widget', timeout = 90_000): Promise<void> {
  await target.waitForFunction(
    (sel) => {
      const el = document.querySelector(sel) as (HTMLElement & { state?: string; results?: unknown[] }) | null;
      if (el?.state === 'error') throw new Error('widget error: ' + el.shadowRoot?.querySelector('[role=alert]')?.textContent);
      return el?.state === 'ready' && (el.results?.length ?? 0) > 0;
    },
    selector,
    { timeout, polling: 250 },
  );
  // Two frames: Lit's update and the canvas draw after it.
  await target.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

export async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** axe-core on the page: no serious or critical violation. */
export async function assertAccessible(page: Page, include = 'cx-anomaly-widget'): Promise<void> {
  const results = await new AxeBuilder({ page }).include(include).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map((v) => `${v.impact} ${v.id}: ${v.help}\n  ${v.nodes.slice(0, 3).map((n) => n.target.join(' > ') + ' ' + n.failureSummary).join('\n  ')}`),
  ).toEqual([]);
}
