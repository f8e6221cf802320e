#!/usr/bin/env node
// Where the bytes of the single-file IIFE come from.
//
//   node scripts/size-report.mjs [--top N] [--json] [--no-esm]
//
// Builds the two parts of packages/widget/dist/cx-anomaly-widget.iife.js the way rollup.config.mjs
// does (the widget bundle, and the worker program spliced into it), each with rollup + terser, and
// prints per-package and per-module tables: rollup's `renderedLength` of each module after
// tree-shaking (before minification), and that module's share of the minified gzip size
// (gzip of the whole part apportioned by rendered length: gzip does not split by module, so the
// per-module gzip figure is an estimate; the part totals are exact). Also reports the built IIFE
// as it is on disk (`npm run build` first) and the chunks of the ESM build, with the lazy tfjs ones.
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';
import { transform as esbuildTransform } from 'esbuild';
import configs from '../rollup.config.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const top = Number(args[args.indexOf('--top') + 1]) || 25;
const asJson = args.includes('--json');

const gz = (text) => gzipSync(Buffer.from(text), { level: 9 }).length;
const kb = (n) => (n / 1024).toFixed(1);

/** Groups a module id: a package under node_modules, or a folder of our own source. */
function groupOf(id) {
  const clean = id.replace(/^\0/, '').replace(/\?.*$/, '');
  const nm = clean.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = clean.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const rel = relative(root, clean);
  if (rel.startsWith('..') || clean === rel) return clean; // virtual module
  const parts = rel.split('/');
  // packages/<pkg>/src/<folder>/... -> <pkg>/<folder>
  if (parts[0] === 'packages' && parts[2] === 'src') return `${parts[1]}/${parts.length > 4 ? parts[3] : '.'}`;
  return parts.slice(0, 2).join('/');
}

function shortId(id) {
  const clean = id.replace(/^\0/, '');
  const nm = clean.lastIndexOf('node_modules/');
  return nm >= 0 ? clean.slice(nm + 'node_modules/'.length) : relative(root, clean) || clean;
}

/**
 * Runs one rollup build in memory and returns per-module rendered lengths plus the output code.
 * `plugins` are the real plugins of rollup.config.mjs, so the figures are those of the shipped file.
 */
async function measure(label, input, plugins, output, treeshake = true) {
  const bundle = await rollup({ input, plugins, treeshake, onwarn: () => {} });
  const { output: out } = await bundle.generate(output);
  await bundle.close();
  const chunk = out.find((o) => o.type === 'chunk' && o.isEntry);
  const modules = Object.entries(chunk.modules)
    .map(([id, m]) => ({ id, group: groupOf(id), rendered: m.renderedLength }))
    .filter((m) => m.rendered > 0);
  const renderedTotal = modules.reduce((s, m) => s + m.rendered, 0);
  const gzip = gz(chunk.code);
  for (const m of modules) m.gzipEstimate = Math.round((m.rendered / renderedTotal) * gzip);
  return { label, bytes: Buffer.byteLength(chunk.code), gzip, renderedTotal, modules, code: chunk.code };
}

function printTable(rows, headers) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

function report(part) {
  console.log(`\n## ${part.label}: ${kb(part.bytes)} KB minified, ${kb(part.gzip)} KB gzip -9 (rendered before minify ${kb(part.renderedTotal)} KB)\n`);
  const groups = new Map();
  for (const m of part.modules) {
    const g = groups.get(m.group) ?? { rendered: 0, gzip: 0, n: 0 };
    g.rendered += m.rendered;
    g.gzip += m.gzipEstimate;
    g.n += 1;
    groups.set(m.group, g);
  }
  const gRows = [...groups.entries()].sort((a, b) => b[1].rendered - a[1].rendered)
    .map(([name, g]) => [name, g.n, kb(g.rendered), kb(g.gzip), ((100 * g.rendered) / part.renderedTotal).toFixed(1)]);
  printTable(gRows, ['package / folder', 'modules', 'rendered KB', '~gzip KB', '%']);
  console.log('');
  const mRows = [...part.modules].sort((a, b) => b.rendered - a.rendered).slice(0, top)
    .map((m) => [shortId(m.id), kb(m.rendered), kb(m.gzipEstimate)]);
  printTable(mRows, [`top ${top} modules`, 'rendered KB', '~gzip KB']);
}

// The IIFE config of rollup.config.mjs and its worker-program build (same plugins, see engineWorker()).
const iifeConfig = configs.find((c) => c.output?.format === 'iife');
if (!iifeConfig) throw new Error('rollup.config.mjs: no IIFE build found');
const { workerScriptBuild } = await import('../rollup.config.mjs');

const workerPart = await measure('worker program (engine; inlined once as workerMain)', workerScriptBuild.input, workerScriptBuild.plugins(), workerScriptBuild.output, workerScriptBuild.treeshake);
const widgetPart = await measure('widget (IIFE without the worker program)', iifeConfig.input, iifeConfig.plugins, iifeConfig.output, iifeConfig.treeshake);
// The IIFE plugin splices the worker program in after minification; take it out again so that
// this part counts the widget alone (same build, same terser output: the text is identical).
{
  const parts = widgetPart.code.split(workerPart.code);
  if (parts.length !== 2) throw new Error('size-report: the worker program was not found once in the IIFE output');
  widgetPart.code = parts.join('');
  widgetPart.bytes = Buffer.byteLength(widgetPart.code);
  widgetPart.gzip = gz(widgetPart.code);
  for (const m of widgetPart.modules) m.gzipEstimate = Math.round((m.rendered / widgetPart.renderedTotal) * widgetPart.gzip);
}

const iifeFile = join(root, iifeConfig.output.file);
const built = existsSync(iifeFile) ? readFileSync(iifeFile) : null;

// The ESM build's chunks, built in memory (dist/chunks keeps stale hashed files): which carry tfjs.
// Those load only when the probe or the `engine` override asks for a GPU path (issue 4).
const lazy = [];
const byFile = new Map();
if (!args.includes('--no-esm')) {
  const esm = configs.find((c) => c.output?.format === 'es' && c.input?.index === 'packages/widget/src/index.ts');
  const bundle = await rollup({ input: esm.input, plugins: esm.plugins, treeshake: esm.treeshake, onwarn: () => {} });
  const { output } = await bundle.generate(esm.output);
  await bundle.close();
  for (const o of output) {
    if (o.type !== 'chunk') continue;
    const pkgs = new Map();
    for (const [id, m] of Object.entries(o.modules)) {
      if (m.renderedLength === 0) continue;
      const g = groupOf(id);
      pkgs.set(g, (pkgs.get(g) ?? 0) + m.renderedLength);
    }
    const main = [...pkgs.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([g]) => g).join(', ');
    const tfjs = [...pkgs.keys()].filter((g) => g.startsWith('@tensorflow/'));
    // The ESM build is not minified (the host's bundler does that): report minified too (esbuild).
    const min = (await esbuildTransform(o.code, { minify: true, target: 'es2022', format: 'esm' })).code;
    lazy.push({ file: o.fileName, entry: o.isEntry ? 'entry' : o.isDynamicEntry ? 'lazy' : 'shared', bytes: Buffer.byteLength(o.code), gzip: gz(o.code), minGzip: gz(min), tfjs, main, imports: o.imports });
  }
  lazy.sort((a, b) => b.gzip - a.gzip);
  // What one GPU path loads: a backend chunk with its static imports (tfjs-core, shared cpu kernels), not counting entries.
  for (const c of lazy) byFile.set(c.file, c);
  for (const c of lazy) {
    const seen = new Set();
    const walk = (f) => {
      const x = byFile.get(f);
      if (!x || seen.has(f) || x.entry === 'entry') return;
      seen.add(f);
      x.imports.forEach(walk);
    };
    walk(c.file);
    c.closure = [...seen];
  }
}

if (asJson) {
  const strip = ({ code, ...rest }) => rest;
  console.log(JSON.stringify({ widget: strip(widgetPart), worker: strip(workerPart), iife: built && { bytes: built.length, gzip: gz(built) }, lazyChunks: lazy }, null, 2));
} else {
  report(widgetPart);
  report(workerPart);
  console.log('\n## totals\n');
  const rows = [
    ['widget part', kb(widgetPart.bytes), kb(widgetPart.gzip)],
    ['worker part', kb(workerPart.bytes), kb(workerPart.gzip)],
    ['widget + worker gzipped apart', kb(widgetPart.bytes + workerPart.bytes), kb(widgetPart.gzip + workerPart.gzip)],
  ];
  if (built) rows.push([`${relative(root, iifeFile)} (built)`, kb(built.length), kb(gz(built))]);
  else rows.push(['(no built IIFE: run npm run build)', '-', '-']);
  printTable(rows, ['file', 'KB', 'gzip -9 KB']);
  if (lazy.length) {
    console.log('\n## ESM build (npm): chunks, built in memory; tfjs ones load only on a GPU path\n');
    printTable(lazy.map((c) => [c.file.replace(/-[\w-]{8}\.js$/, '.js'), c.entry, c.tfjs.length ? 'yes' : '', kb(c.bytes), kb(c.gzip), kb(c.minGzip), c.main]), ['chunk', 'kind', 'tfjs', 'KB', 'gzip -9 KB', 'minified gzip KB', 'mostly']);
    console.log('\nA tfjs path loads (a backend chunk with what it imports, incl. tfjs-core), gzip -9, minified:');
    for (const c of lazy) {
      if (!(c.entry === 'lazy' && c.tfjs.length && !c.tfjs.includes('@tensorflow/tfjs-core'))) continue;
      const parts = c.closure.map((f) => byFile.get(f));
      const all = [...new Set(parts.flatMap((x) => x.tfjs))].sort().join(' + ');
      console.log(`  ${all}: ${kb(parts.reduce((n, x) => n + x.minGzip, 0))} KB (${parts.length} chunks)`);
    }
  }
}
