// Plugins shared by the dev-time servers (web-test-runner, Playwright's static server, Storybook):
// they provide the `cx:engine-worker` virtual module and bundle worker entry files on request,
// because serving tfjs unbundled into a worker makes ~1,800 requests and then fails on CommonJS.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const WORKER_ENTRY_PATH = '/packages/widget/src/worker/engine.worker.ts';

/** Bundles one worker entry (an absolute file path) into a single ES module string. */
export async function bundleWorker(file, format = 'esm') {
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
  });
  return result.outputFiles[0].text;
}

// Tests start many workers; each start requests the bundle again. Reuse a build for a few
// seconds (long enough for one test file's workers, short enough to pick up edits in watch mode).
const bundleMemo = new Map();
function bundleWorkerCached(file, format) {
  const key = `${file}|${format}`;
  const hit = bundleMemo.get(key);
  if (hit && Date.now() - hit.at < 5000) return hit.promise;
  const promise = bundleWorker(file, format);
  bundleMemo.set(key, { at: Date.now(), promise });
  promise.catch(() => bundleMemo.delete(key));
  return promise;
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
