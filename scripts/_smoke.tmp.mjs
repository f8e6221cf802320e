// Scratch check (not shipped): the IIFE's blob worker and its in-process fallback (blob: blocked by CSP) score identically.
import { chromium } from 'playwright';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const iife = readFileSync('packages/widget/dist/cx-anomaly-widget.iife.js');
const testJs = `
(async () => {
  const recs = [];
  let s = 12345; const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 2000; i++) recs.push({ queue: i % 2 ? 'tech' : 'billing', aht_avg: 300 + 40 * rnd() + (i === 1500 ? 900 : 0), csat_avg: i % 4 ? null : 4 + rnd() * 0.3, volume: 50 + 8 * rnd() });
  const warnings = [];
  const c = await CxAnomalyWidget.createEngineClient({ cache: false, onWarning: (m, code) => warnings.push(code) });
  await c.train(recs.slice(0, 1000), { fields: 'aht_avg:high,csat_avg:low,volume', segmentField: 'queue', numTrees: 30, sampleSize: 128, seed: 7 });
  const r = await c.score(recs.slice(1000));
  window.__out = { mode: c.mode, warnings, n: r.length, sum: r.reduce((a, x) => a + x.score, 0), top: r.reduce((b, x) => (x.score > b.score ? x : b)).index };
})().catch((e) => { window.__out = { error: String(e && e.stack || e) }; });`;
const server = createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  const csp = u.searchParams.get('csp');
  if (u.pathname === '/page.html') { res.writeHead(200, { 'content-type': 'text/html', ...(csp ? { 'content-security-policy': "script-src 'self'; worker-src 'self'" } : {}) }); res.end('<!doctype html><script src="/w.js"></script><script src="/t.js"></script>'); return; }
  if (u.pathname === '/w.js') { res.writeHead(200, { 'content-type': 'text/javascript' }); res.end(iife); return; }
  if (u.pathname === '/t.js') { res.writeHead(200, { 'content-type': 'text/javascript' }); res.end(testJs); return; }
  res.writeHead(404); res.end();
}).listen(0);
const port = server.address().port;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox'] });
const results = [];
for (const csp of [false, true]) {
  const page = await browser.newPage();
  const errs = []; page.on('pageerror', (e) => errs.push(String(e))); page.on('console', (m) => { if (m.type() === 'error') errs.push(m.text()); });
  await page.goto(`http://127.0.0.1:${port}/page.html${csp ? '?csp=1' : ''}`);
  await page.waitForFunction(() => window.__out, null, { timeout: 120000 });
  const out = await page.evaluate(() => window.__out);
  results.push(out);
  console.log(csp ? 'CSP (blob blocked):' : 'plain page:', JSON.stringify(out), errs.length ? 'page errors: ' + errs.join(' | ').slice(0, 400) : '');
  await page.close();
}
await browser.close(); server.close();
const [a, b] = results;
const ok = a.mode === 'blob-worker' && b.mode === 'in-process' && a.sum === b.sum && a.top === b.top && a.n === 1000;
console.log(ok ? 'OK: same scores in blob-worker and in-process' : 'MISMATCH');
process.exit(ok ? 0 : 1);
