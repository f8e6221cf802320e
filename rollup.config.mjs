// Builds every shipped artefact with esbuild as the transpiler (TS 7 has no JS API, so
// @rollup/plugin-typescript cannot be used; `tsc` only type-checks and writes .d.ts files).
//
//   packages/engine/dist/index.js            engine, ESM (isomorphic)
//   packages/engine/dist/cli.js              the `cx-anomaly` Node CLI
//   packages/widget/dist/index.js            widget, ESM for npm import (+ engine.worker.js beside it)
//   packages/widget/dist/engine.worker.js    the engine worker as its own module file (module worker,
//                                            and the same-origin file a strict-CSP host names in `worker-url`)
//   packages/widget/dist/cx-anomaly-widget.iife.js  one self-contained file for <script src>; the worker is
//                                            a function in it, started from a Blob URL of its source text
//                                            (and called on the main thread for the in-process fallback)
//   packages/demo-server/dist/main.js        the ingest/demo server (Node)
import { rollup } from 'rollup';
import resolve from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import esbuild from 'rollup-plugin-esbuild';
import terser from '@rollup/plugin-terser';
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';

const nodeBuiltins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const isNodeBuiltin = (id) => nodeBuiltins.has(id);

// tfjs-backend-wasm's generated loader requires Node built-ins that are never reached in a browser.
const commonjsBrowser = () => commonjs({ ignore: ['fs', 'path', 'os', 'worker_threads', 'perf_hooks', 'crypto'] });

const browserPlugins = (minify) => [
  resolve({ browser: true, exportConditions: ['source', 'browser', 'module', 'import', 'default'], extensions: ['.ts', '.mjs', '.js'] }),
  commonjsBrowser(),
  esbuild({ target: 'es2022', minify: false, tsconfig: 'tsconfig.json' }),
  // Not `module`/`toplevel`: both imply dropping unused top-level names, and the IIFE's one
  // top-level name is the `var CxAnomalyWidget` global (everything else is inside its function).
  ...(minify ? [terser({ ecma: 2020, module: false, toplevel: false, compress: { passes: 2 } })] : []),
];

const nodePlugins = () => [
  resolve({ preferBuiltins: true, exportConditions: ['source', 'node', 'import', 'default'], extensions: ['.ts', '.mjs', '.js'] }),
  esbuild({ target: 'node20', tsconfig: 'tsconfig.json' }),
];

/** Silences the circular-dependency chatter of third-party packages; real warnings still fail loudly. */
function onwarn(warning, warn) {
  if (warning.code === 'CIRCULAR_DEPENDENCY' && /node_modules/.test(warning.message)) return;
  if (warning.code === 'THIS_IS_UNDEFINED' && /node_modules/.test(warning.id ?? '')) return;
  warn(warning);
}

const NO_TFJS_MESSAGE = 'tfjs is not part of the single-file IIFE build; use the ESM build for the WebGL/WebGPU kernels';
/**
 * Without tfjs the engine's kernel modules can never run (loadTfjs fails first), so the IIFE
 * takes them as stubs too: the GLSL/WGSL shader sources and the tfjs glue stay in the ESM build's
 * lazy chunks. loadTfjs keeps its contract: it rejects with AccelUnavailableError, and the
 * widget's probe and `engine` override fall back to the JS loop as before.
 */
const ACCEL_STUBS = [
  [/packages\/engine\/src\/accel\/tfjs-loader\.ts$/, `export class AccelUnavailableError extends Error { name = 'AccelUnavailableError'; }
export async function loadTfjs(name) { throw new AccelUnavailableError('tfjs backend "' + name + '" is not available: ${NO_TFJS_MESSAGE}'); }`],
  [/packages\/engine\/src\/accel\/(webgl|webgpu|gather)-kernel\.ts$/, `const unavailable = () => { throw new Error('${NO_TFJS_MESSAGE}'); };
export const webglLeaves = unavailable, webgpuLeaves = unavailable, gatherLeaves = unavailable;`],
];

/**
 * The single-file IIFE leaves tfjs out (it would add ~190 KB gzip to a file whose budget is 60 KB):
 * every @tensorflow/* import becomes a stub whose functions throw, so the engine's accelerated
 * tree paths report AccelUnavailableError and the JS loop runs. The ESM build keeps tfjs as lazy
 * chunks (loaded on the first GPU use only).
 */
function noTfjs() {
  const STUB = '\0cx-no-tfjs';
  return {
    name: 'cx-no-tfjs',
    resolveId(id) {
      return /^@tensorflow\//.test(id) ? STUB : null;
    },
    load(id) {
      for (const [re, code] of ACCEL_STUBS) if (re.test(id)) return code;
      if (id !== STUB) return null;
      return `const fail = () => { throw new Error('${NO_TFJS_MESSAGE}'); };
export const getBackend = fail, setBackend = fail, ready = fail;`;
    },
  };
}

const WORKER_ENTRY = 'packages/widget/src/worker/engine.worker.ts';
/** The worker as a function of its endpoint (IIFE build): see packages/widget/src/worker/worker-main.ts. */
const WORKER_MAIN_ENTRY = 'packages/widget/src/worker/worker-main.ts';
/** Replaced in the IIFE build: the in-process fallback takes EngineService from the bundled worker function. */
const LOAD_ENGINE_SERVICE = /packages\/widget\/src\/engine-client\/load-engine-service\.ts$/;
/**
 * The widget finds its worker through this virtual module:
 *   export const inlineWorkerSource: string | null  (IIFE build: the whole worker as one classic script)
 *   export const workerUrl: string | null           (ESM build: URL of engine.worker.js beside the bundle)
 * web-test-runner and Storybook provide their own versions of it (see their configs).
 */
const WORKER_MODULE_ID = 'cx:engine-worker';

/** The worker program's build (also measured by scripts/size-report.mjs). */
export const workerScriptBuild = {
  input: WORKER_MAIN_ENTRY,
  plugins: () => [noTfjs(), ...browserPlugins(true)],
  output: { format: 'iife', name: 'cxWorkerMain', inlineDynamicImports: true },
};

/**
 * Builds worker-main.ts as a self-contained script: `var cxWorkerMain = (function () { ... })();`
 * (tree-shaken, minified; `module`/`toplevel` off so that the one top-level name stays).
 */
async function buildWorkerMainScript() {
  const bundle = await rollup({ input: workerScriptBuild.input, plugins: workerScriptBuild.plugins(), onwarn });
  const { output } = await bundle.generate(workerScriptBuild.output);
  await bundle.close();
  if (!/^var cxWorkerMain\s*=/.test(output[0].code)) throw new Error('worker-main build: expected the script to start with "var cxWorkerMain ="');
  return output[0].code;
}

/** Stands for the worker program in the IIFE until the bundle is written (an undeclared global: no tool renames it). */
const WORKER_PLACEHOLDER = '__CX_WORKER_MAIN_PLACEHOLDER__';

/**
 * Modules that both the page side and the worker program use. In the IIFE the page side takes
 * them from the worker program (`workerMain(null).shared`, see worker-main.ts) instead of
 * carrying a second copy. `test` recognises the import (bare name or resolved path); `names` are
 * the bindings the page side may import (for packages: only those worker-main.ts shares; for
 * our modules: every `export` declaration of `file`).
 */
const SHARED_MODULES = [
  { key: 'comlink', test: (id) => id === 'comlink' || /node_modules\/comlink\//.test(id), names: ['wrap', 'proxy', 'transfer', 'releaseProxy'] },
  { key: 'idb-keyval', test: (id) => id === 'idb-keyval' || /node_modules\/idb-keyval\//.test(id), names: ['get', 'set'] },
  { key: 'kv-store', file: 'packages/widget/src/cache/kv-store.ts' },
  { key: 'columns', file: 'packages/widget/src/worker/columns.ts' },
  { key: 'fields', file: 'packages/widget/src/worker/fields.ts' },
  { key: 'protocol', file: 'packages/widget/src/worker/protocol.ts' },
].map((m) => ({ ...m, test: m.test ?? ((id) => id.endsWith(m.file)) }));
const SHARED_PREFIX = '\0cx-shared:';

/** The value exports of one of our shared modules (types are erased; re-exports are refused, not guessed). */
function exportedNames(file) {
  const text = readFileSync(file, 'utf8');
  if (/^export\s*(\{|\*)/m.test(text)) throw new Error(`${file}: re-exports are not handled by the shared-module mapping of the IIFE build`);
  return [...text.matchAll(/^export\s+(?:async\s+)?(?:function\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
}

/**
 * IIFE build: the engine ships once, as the real function `workerMain(endpoint)`. The Blob-URL
 * worker runs its source text ('(' + workerMain.toString() + ')(self)': Function.prototype.toString
 * returns the exact source, so no second copy and no eval), and the in-process fallback calls
 * `workerMain(null)` for the EngineService class (same engine, no worker, no eval).
 * The worker program is built on its own and spliced in after the main bundle is minified, so
 * that neither rollup's tree-shaking nor terser of the main bundle reaches into it.
 */
function engineWorker(mode) {
  let script = null;
  return {
    name: 'cx-engine-worker',
    async resolveId(id, importer) {
      if (id === WORKER_MODULE_ID) return `\0${WORKER_MODULE_ID}`;
      if (mode !== 'inline' || !importer || importer.startsWith(SHARED_PREFIX)) return null;
      const shared = SHARED_MODULES.find((m) => m.test(id));
      if (shared) return SHARED_PREFIX + shared.key;
      if (!id.startsWith('.')) return null;
      const resolved = await this.resolve(id, importer, { skipSelf: true });
      const byPath = resolved && SHARED_MODULES.find((m) => m.test(resolved.id));
      return byPath ? SHARED_PREFIX + byPath.key : null;
    },
    async load(id) {
      if (mode === 'inline' && id.startsWith(SHARED_PREFIX)) {
        // Re-export the worker program's copy under the same names: a page-side import of a name
        // not listed fails the build; a listed name the worker does not share fails at load.
        const m = SHARED_MODULES.find((x) => x.key === id.slice(SHARED_PREFIX.length));
        const names = m.names ?? exportedNames(m.file);
        return `import { workerExports } from '${WORKER_MODULE_ID}';
const m = workerExports().shared[${JSON.stringify(m.key)}];
for (const n of ${JSON.stringify(names)}) if (m[n] === undefined) throw new Error('cx-anomaly-widget build: the worker program does not share ' + n + ' of ${m.key}');
export const { ${names.join(', ')} } = m;`;
      }
      if (mode === 'inline' && LOAD_ENGINE_SERVICE.test(id)) {
        return `import { workerExports } from '${WORKER_MODULE_ID}';
export async function loadEngineService() {
  return workerExports().EngineService;
}`;
      }
      if (id !== `\0${WORKER_MODULE_ID}`) return null;
      if (mode === 'inline') {
        script ??= await buildWorkerMainScript();
        return `export function workerMain(endpoint) {
  return ${WORKER_PLACEHOLDER}(endpoint);
}
let exportsOfMain = null;
/** The worker program run once on the page (no endpoint): EngineService and the shared modules. */
export function workerExports() {
  return (exportsOfMain ??= workerMain(null));
}
export const inlineWorkerSource = '(' + workerMain.toString() + ')(self)';
export const workerUrl = null;`;
      }
      const ref = this.emitFile({ type: 'chunk', id: WORKER_ENTRY, fileName: 'engine.worker.js' });
      return `export const inlineWorkerSource = null;\nexport const workerUrl = import.meta.ROLLUP_FILE_URL_${ref};`;
    },
    generateBundle(_options, bundle) {
      if (mode !== 'inline') return;
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const parts = chunk.code.split(WORKER_PLACEHOLDER);
        if (parts.length === 1) continue;
        if (parts.length !== 2) throw new Error(`${chunk.fileName}: expected the worker placeholder once, found it ${parts.length - 1} times`);
        chunk.code = parts.join(`(function(){${script}\nreturn cxWorkerMain.start})()`);
      }
    },
  };
}

export default [
  {
    input: { index: 'packages/engine/src/index.ts' },
    output: { dir: 'packages/engine/dist', format: 'es', sourcemap: true, chunkFileNames: 'chunks/[name]-[hash].js' },
    external: (id) => /^@tensorflow\//.test(id),
    plugins: [esbuild({ target: 'es2022', tsconfig: 'tsconfig.json' })],
    onwarn,
  },
  {
    input: { cli: 'packages/engine/src/cli/main.ts' },
    output: { dir: 'packages/engine/dist', format: 'es', banner: '#!/usr/bin/env node', sourcemap: true, inlineDynamicImports: true },
    external: (id) => isNodeBuiltin(id) || /^@tensorflow\//.test(id),
    plugins: nodePlugins(),
    onwarn,
  },
  {
    input: { index: 'packages/widget/src/index.ts' },
    output: { dir: 'packages/widget/dist', format: 'es', sourcemap: true, chunkFileNames: 'chunks/[name]-[hash].js' },
    plugins: [engineWorker('url'), ...browserPlugins(false)],
    onwarn,
  },
  {
    input: 'packages/widget/src/index.ts',
    output: { file: 'packages/widget/dist/cx-anomaly-widget.iife.js', format: 'iife', name: 'CxAnomalyWidget', inlineDynamicImports: true },
    plugins: [noTfjs(), engineWorker('inline'), ...browserPlugins(true)],
    onwarn,
  },
  {
    input: { main: 'packages/demo-server/src/main.ts' },
    output: { dir: 'packages/demo-server/dist', format: 'es', sourcemap: true, inlineDynamicImports: true },
    // Runtime dependencies of the server stay in node_modules; our own packages are bundled from source.
    external: (id) => isNodeBuiltin(id) || /^(fastify|@fastify\/|better-sqlite3|pino)/.test(id) || /^@tensorflow\//.test(id),
    plugins: nodePlugins(),
    onwarn,
  },
];
