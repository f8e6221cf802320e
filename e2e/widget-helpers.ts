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

/**
 * Registers /stream: Server-Sent Events in the demo server's wire format (`event: scored`,
 * `{ seq, record, result }`), here with `result: null` (raw records the widget scores itself):
 * the last day of the demo data again, one day later, one event every `everyMs`.
 */
export function serveStream(server: StaticServer, csv: string, everyMs = 150): void {
  const [head, ...lines] = csv.trim().split('\n');
  const cols = head!.split(',');
  const lastDay = lines.slice(-96 * 2).map((line) => {
    const v = line.split(',');
    const rec: Record<string, string> = {};
    cols.forEach((c, i) => (rec[c] = v[i] ?? ''));
    rec.timestamp = new Date(Date.parse(rec.timestamp!) + 86_400_000).toISOString();
    return rec;
  });
  server.route('/stream', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    let seq = 0;
    const timer = setInterval(() => {
      if (seq >= lastDay.length) return;
      const rec = lastDay[seq]!;
      res.write(`id: ${seq}\nevent: scored\ndata: ${JSON.stringify({ seq, receivedAt: Date.now(), source: 'replay', record: rec, result: null })}\n\n`);
      seq++;
    }, everyMs);
    req.on('close', () => clearInterval(timer));
  });
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
