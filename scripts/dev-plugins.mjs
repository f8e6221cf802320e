// Plugins shared by the dev-time servers (web-test-runner, Playwright's static server, Storybook):
// they provide the `cx:engine-worker` virtual module and bundle worker entry files on request,
// because serving tfjs unbundled into a worker makes ~1,800 requests and then fails on CommonJS.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { stat } from 'node:fs/promises';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const WORKER_ENTRY_PATH = '/packages/widget/src/worker/engine.worker.ts';

/** Bundles one worker entry (an absolute file path) into a single ES module string. */
export async function bundleWorker(file, format = 'esm', metaOut = null) {
  const result = await build({
    entryPoints: [file],
    bundle: true,
    format,
    platform: 'browser',
    target: 'es2022',
    write: false,
    sourcemap: 'inline',
    conditions: ['source', 'browser', 'module', 'import'],
    external: ['fs', 'path', 'os', 'worker_threads', 'perf_hooks', 'crypto'],
    logLevel: 'silent',
    metafile: metaOut !== null,
  });
  if (metaOut) metaOut.inputs = result.metafile.inputs;
  return result.outputFiles[0].text;
}

// Tests start many workers; each start requests the bundle again, and the worker bundle includes tfjs
// (~1,000 modules). Reuse a build while none of its input files has changed (checked by mtime).
const bundleMemo = new Map();
async function bundleWorkerCached(file, format) {
  const key = `${file}|${format}`;
  const hit = bundleMemo.get(key);
  if (hit) {
    const entry = await hit;
    const fresh = entry.inputs && (await Promise.all(entry.inputs.map(([p, m]) => stat(p).then((s) => s.mtimeMs === m, () => false)))).every(Boolean);
    if (fresh) return entry.code;
  }
  const promise = (async () => {
    const meta = {};
    const code = await bundleWorker(file, format, meta);
    // Inputs such as "(disabled):node_modules/..." are not files: skip what cannot be stat'ed.
    const inputs = (await Promise.all(Object.keys(meta.inputs ?? {}).map((p) => stat(resolve(p)).then((s) => [resolve(p), s.mtimeMs], () => null)))).filter(Boolean);
    return { code, inputs };
  })();
  bundleMemo.set(key, promise);
  promise.catch(() => bundleMemo.delete(key));
  return (await promise).code;
}

/** @web/dev-server plugin. */
export function cxWorkerDevServerPlugin() {
  return {
    name: 'cx-engine-worker',
    resolveImport({ source }) {
      if (source === 'cx:engine-worker') return '/__cx/engine-worker.js';
      return undefined;
    },
    async serve(context) {
      if (context.path === '/__cx/engine-worker.js') {
        return {
          body: `export const inlineWorkerSource = null;\nexport const workerUrl = new URL(${JSON.stringify(WORKER_ENTRY_PATH + '?bundle')}, import.meta.url).href;`,
          type: 'js',
        };
      }
      if (context.path.endsWith('.worker.ts') && context.URL.searchParams.has('bundle')) {
        // `&format=iife` gives the classic script that the IIFE build inlines (blob-worker tests).
        const format = context.URL.searchParams.get('format') === 'iife' ? 'iife' : 'esm';
        return { body: await bundleWorkerCached(join(repoRoot, context.path), format), type: 'js' };
      }
      return undefined;
    },
  };
}
