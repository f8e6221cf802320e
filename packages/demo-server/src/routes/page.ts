/**
 * GET /: the demo page, the widget connected to /stream. GET /widget/<file>: the widget's
 * build (packages/widget/dist, CX_WIDGET_DIR), only plain file names under it (and its
 * chunks/ folder), so no path outside it can be asked for. GET /demo.js: the page's
 * controls (a separate file: the page's CSP allows no inline script).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
};

export const WIDGET_BUNDLE = 'cx-anomaly-widget.iife.js';

/** The page's Content-Security-Policy: same-origin everything; the IIFE starts its worker from a blob: URL; tfjs wasm needs wasm-unsafe-eval. */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function demoPage(ctx: ServerContext): string {
  const c = ctx.config;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cx-anomaly: live contact-centre anomalies</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1c2330; }
  header { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; padding: .75rem 1.25rem; background: #fff; border-bottom: 1px solid #dde1e7; }
  header h1 { font-size: 1.1rem; margin: 0 auto 0 0; }
  main { padding: 1rem 1.25rem; }
  cx-anomaly-widget { display: block; min-height: 480px; background: #fff; border: 1px solid #dde1e7; border-radius: 6px; }
  #status, #injected { font-size: .85rem; color: #5a6372; }
  button, select { font: inherit; padding: .3rem .6rem; }
  .missing { padding: 1rem; background: #fff4e5; border: 1px solid #f0c36d; border-radius: 6px; }
</style>
<script src="/widget/${WIDGET_BUNDLE}" defer></script>
<script src="/demo.js" defer></script>
</head>
<body>
<header>
  <h1>cx-anomaly &middot; live contact-centre metrics</h1>
  <span id="status" aria-live="polite">connecting&hellip;</span>
  <label>Incident <select id="kind">
    <option value="outage">outage</option><option value="aht_spike">AHT spike</option><option value="csat_drop">CSAT drop</option>
    <option value="transfer_surge">transfer surge</option><option value="volume_collapse">volume collapse</option>
  </select></label>
  <label>on queue <select id="queue"></select></label>
  <button id="inject" type="button">Inject incident</button>
  <span id="injected" role="status"></span>
</header>
<main>
  <cx-anomaly-widget id="widget" stream="/stream" metrics="${escapeHtml(c.fields)}" time-field="${escapeHtml(c.timeField)}" segment-field="${escapeHtml(c.segmentField)}"></cx-anomaly-widget>
  <p id="widget-missing" class="missing" hidden>The widget bundle (packages/widget/dist/${WIDGET_BUNDLE}) was not found: run <code>npm run build</code>. The stream is live at <a href="/stream">/stream</a>.</p>
</main>
</body>
</html>
`;
}

/** The page's script: status line (own EventSource on /stream), incident injection, missing-bundle notice. */
export const DEMO_JS = `'use strict';
(() => {
  const status = document.getElementById('status');
  const queueSel = document.getElementById('queue');
  let records = 0, anomalies = 0, last = '';
  // Counts what arrived since this page opened (the widget also shows the stored history).
  const show = () => { status.textContent = records + ' streamed since this page opened, ' + anomalies + ' anomalies' + (last ? ' \\u00b7 last ' + last : ''); };
  const es = new EventSource('/stream?backlog=0');
  es.addEventListener('scored', (e) => { const d = JSON.parse(e.data); records++; last = d.record.timestamp || ''; show(); });
  es.addEventListener('anomaly', () => { anomalies++; show(); });
  es.onerror = () => { status.textContent = 'reconnecting\\u2026'; };
  fetch('/health').then((r) => r.json()).then((h) => {
    const qs = (h.replay && h.replay.queues) || [];
    for (const q of qs) { const o = document.createElement('option'); o.value = o.textContent = q; queueSel.appendChild(o); }
    document.getElementById('inject').disabled = !h.replay || !h.replay.on;
  });
  document.getElementById('inject').addEventListener('click', async () => {
    const body = { kind: document.getElementById('kind').value };
    if (queueSel.value) body.queue = queueSel.value;
    const r = await fetch('/replay/incident', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const j = await r.json();
    // Its own line: the status line is rewritten by every streamed record and would hide it at once.
    document.getElementById('injected').textContent = r.ok ? 'injected ' + j.kind + ' on ' + j.queue + ' from ' + j.from : (j.message || 'failed');
  });
  setTimeout(() => { if (!customElements.get('cx-anomaly-widget')) document.getElementById('widget-missing').hidden = false; }, 3000);
})();
`;

export function pageRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const html = demoPage(ctx);
  app.get('/', async (_req, reply) => {
    reply.header('content-security-policy', PAGE_CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    return reply.type('text/html; charset=utf-8').send(html);
  });
  app.get('/demo.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(DEMO_JS));
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  app.get<{ Params: { '*': string } }>('/widget/*', async (req, reply) => {
    const rel = req.params['*'];
    if (!/^(chunks\/)?[\w.-]+\.(js|mjs|map|json|wasm|css)$/.test(rel) || rel.includes('..')) {
      return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no widget file ${JSON.stringify(rel)}` });
    }
    let body: Buffer;
    try {
      body = await readFile(join(ctx.config.widgetDir, rel));
    } catch {
      return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `widget file ${rel} not found in ${ctx.config.widgetDir} (run npm run build)` });
    }
    const ext = rel.slice(rel.lastIndexOf('.'));
    return reply.type(TYPES[ext] ?? 'application/octet-stream').header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').send(body);
  });
}
