// Builds every shipped artefact with esbuild as the transpiler (TS 7 has no JS API, so
// @rollup/plugin-typescript cannot be used; `tsc` only type-checks and writes .d.ts files).
//
//   packages/engine/dist/index.js            engine, ESM (isomorphic)
//   packages/engine/dist/cli.js              the `cx-anomaly` Node CLI
//   packages/widget/dist/index.js            widget, ESM for npm import (+ engine.worker.js beside it)
//   packages/widget/dist/engine.worker.js    the engine worker as its own module file (module worker,
//                                            and the same-origin file a strict-CSP host names in `worker-url`)
//   packages/widget/dist/cx-anomaly-widget.iife.js  one self-contained file for <script src>, the worker
//                                            inlined as a string and started from a Blob URL
//   packages/demo-server/dist/main.js        the ingest/demo server (Node)
import { rollup } from 'rollup';
import resolve from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import esbuild from 'rollup-plugin-esbuild';
import terser from '@rollup/plugin-terser';
import { builtinModules } from 'node:module';

const nodeBuiltins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const isNodeBuiltin = (id) => nodeBuiltins.has(id);

// tfjs-backend-wasm's generated loader requires Node built-ins that are never reached in a browser.
const commonjsBrowser = () => commonjs({ ignore: ['fs', 'path', 'os', 'worker_threads', 'perf_hooks', 'crypto'] });

const browserPlugins = (minify) => [
  resolve({ browser: true, exportConditions: ['source', 'browser', 'module', 'import', 'default'], extensions: ['.ts', '.mjs', '.js'] }),
  commonjsBrowser(),
  esbuild({ target: 'es2022', minify: false, tsconfig: 'tsconfig.json' }),
  ...(minify ? [terser({ ecma: 2020, module: true, compress: { passes: 2 } })] : []),
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
      if (id !== STUB) return null;
      return `const fail = () => { throw new Error('tfjs is not part of the single-file IIFE build; use the ESM build for the WebGL/WebGPU kernels'); };
export const getBackend = fail, setBackend = fail, ready = fail;`;
    },
  };
}

const WORKER_ENTRY = 'packages/widget/src/worker/engine.worker.ts';
/**
 * The widget finds its worker through this virtual module:
 *   export const inlineWorkerSource: string | null  (IIFE build: the whole worker as one classic script)
 *   export const workerUrl: string | null           (ESM build: URL of engine.worker.js beside the bundle)
 * web-test-runner and Storybook provide their own versions of it (see their configs).
 */
const WORKER_MODULE_ID = 'cx:engine-worker';

/** Builds the worker as one classic-script string, for the IIFE's Blob-URL worker. */
async function buildInlineWorker() {
  const bundle = await rollup({ input: WORKER_ENTRY, plugins: [noTfjs(), ...browserPlugins(true)], onwarn });
  const { output } = await bundle.generate({ format: 'iife', inlineDynamicImports: true });
  await bundle.close();
  return output[0].code;
}

function engineWorker(mode) {
  let code = null;
  return {
    name: 'cx-engine-worker',
    resolveId(id) {
      return id === WORKER_MODULE_ID ? `\0${WORKER_MODULE_ID}` : null;
    },
    async load(id) {
      if (id !== `\0${WORKER_MODULE_ID}`) return null;
      if (mode === 'inline') {
        code ??= await buildInlineWorker();
        return `export const inlineWorkerSource = ${JSON.stringify(code)};\nexport const workerUrl = null;`;
      }
      const ref = this.emitFile({ type: 'chunk', id: WORKER_ENTRY, fileName: 'engine.worker.js' });
      return `export const inlineWorkerSource = null;\nexport const workerUrl = import.meta.ROLLUP_FILE_URL_${ref};`;
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
