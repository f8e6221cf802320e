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

/** Whitespace and comments of CSS text (outside quoted strings): what a browser ignores goes. */
function minifyCssText(text) {
  return text
    .split(/("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')/)
    .map((part, i) => (i % 2 ? part : part
      .replace(/\/\*[\s\S]*?\*\//g, ' ')
      .replace(/\s+/g, ' ')
      // Never around `>`, `+`, `-`, `(`, `)`: combinators, calc() and media ranges keep their spaces.
      .replace(/ ?([{};,]) ?/g, '$1')
      .replace(/: /g, ':')
      .replace(/;}/g, '}')))
    .join('');
}

/**
 * Minifies the static text of Lit's css`` and html``/svg`` templates in our page-side modules
 * (IIFE only; the ESM build keeps them as written). CSS: comments and optional whitespace go
 * (`minifyCssText`). HTML: each whitespace run becomes one space (what the browser renders for
 * white-space: normal; the widget has no <pre>/<textarea>/white-space: pre*). Works on each
 * static part (quasi) of a template on its own, so `${…}` bindings and their positions stay;
 * a part with a backslash is left alone (escapes are not parsed here).
 */
function minifyLitTemplates() {
  const KIND = { css: minifyCssText, html: (t) => t.replace(/\s+/g, ' '), svg: (t) => t.replace(/\s+/g, ' ') };
  return {
    name: 'cx-minify-lit-templates',
    transform(code, id) {
      if (!/packages\/widget\/src\/.*\.ts$/.test(id) || !/\b(css|html|svg)`/.test(code)) return null;
      const edits = [];
      const walk = (node) => {
        if (!node || typeof node.type !== 'string') return;
        if (node.type === 'TaggedTemplateExpression' && node.tag.type === 'Identifier' && KIND[node.tag.name]) {
          for (const q of node.quasi.quasis) {
            const raw = q.value.raw;
            if (raw.includes('\\') || /<(pre|textarea)\b/i.test(raw)) continue;
            const min = KIND[node.tag.name](raw);
            if (min !== raw) edits.push([q.start, q.end, min]);
          }
        }
        for (const key of Object.keys(node)) {
          const v = node[key];
          if (Array.isArray(v)) v.forEach(walk);
          else if (v && typeof v === 'object' && typeof v.type === 'string') walk(v);
        }
      };
      walk(this.parse(code));
      if (!edits.length) return null;
      let out = code;
      for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + text + out.slice(end);
      return { code: out, map: null };
    },
  };
}

/**
 * Property mangling limited to what cannot be seen from outside: members that our TypeScript
 * declares `private` (not `declare`d ones: those are Lit reactive states, which Lit keys by name)
 * and that, in the bundled chunk, only ever appear as `this.name` or as a class member key.
 * Everything else keeps its name: public members, interface fields and object-literal keys of
 * any of our sources (the model format, the worker protocol, the Result shape), any name that
 * third-party code or our code reads on another object (`x.name`), any object-literal or
 * destructuring key, and any name that occurs as a word in a string or template (Lit bindings
 * such as `.name=${…}`, `requestUpdate('name')`, `'name' in x`). The list is worked out on each
 * build, so a later edit that makes a name visible simply stops it from being mangled.
 * `collect` runs on the TypeScript sources (before esbuild erases `private`); `analyse` runs on
 * the chunk before terser and hands terser the names through `terserOptions`.
 */
function privateMembers(terserOptions) {
  const privateNames = new Set();
  const publicNames = new Set();
  const MODIFIERS = '(?:(?:public|protected|private|static|readonly|override|async|get|set|accessor|declare|abstract)\\s+)*';
  const memberRe = new RegExp(`^\\s*(${MODIFIERS})([A-Za-z_$][\\w$]*)\\s*[?!]?\\s*[:(=;<,]`, 'gm');
  const collect = {
    name: 'cx-private-members-collect',
    transform(code, id) {
      if (!/packages\/\w[\w-]*\/src\/.*\.ts$/.test(id)) return null;
      for (const m of code.matchAll(memberRe)) {
        const modifiers = m[1].split(/\s+/);
        if (modifiers.includes('private') && !modifiers.includes('declare')) privateNames.add(m[2]);
        else publicNames.add(m[2]);
      }
      return null;
    },
  };
  const analyse = {
    name: 'cx-private-members-analyse',
    renderChunk(code) {
      const candidates = new Set([...privateNames].filter((n) => !publicNames.has(n) && n.length > 2));
      const seenOnThis = new Set();
      const visible = new Set();
      const words = [];
      const walk = (node) => {
        if (!node || typeof node.type !== 'string') return;
        switch (node.type) {
          case 'MemberExpression':
            if (!node.computed && node.property.type === 'Identifier') {
              (node.object.type === 'ThisExpression' ? seenOnThis : visible).add(node.property.name);
            }
            break;
          case 'MethodDefinition':
          case 'PropertyDefinition':
            if (!node.computed && node.key.type === 'Identifier') seenOnThis.add(node.key.name);
            break;
          case 'Property':
            if (node.key.type === 'Identifier') visible.add(node.key.name);
            else if (node.key.type === 'Literal') visible.add(String(node.key.value));
            break;
          case 'Literal':
            if (typeof node.value === 'string') words.push(node.value);
            break;
          case 'TemplateElement':
            words.push(node.value.raw);
            break;
        }
        for (const key of Object.keys(node)) {
          const v = node[key];
          if (Array.isArray(v)) v.forEach(walk);
          else if (v && typeof v === 'object' && typeof v.type === 'string') walk(v);
        }
      };
      walk(this.parse(code));
      for (const w of words) for (const m of w.matchAll(/[A-Za-z_$][\w$]*/g)) visible.add(m[0]);
      const names = [...candidates].filter((n) => seenOnThis.has(n) && !visible.has(n)).sort();
      // A pattern that matches nothing when there is nothing to mangle (an empty one would match all).
      if (process.env.CX_DEBUG_MANGLE) console.error('mangled:', names.join(' '));
      terserOptions.mangle.properties.regex = names.length ? `^(?:${names.join('|')})$` : '(?!)';
      return null;
    },
  };
  return { collect, analyse };
}

/**
 * Writes every non-ASCII character of the chunk as a \uXXXX escape (per UTF-16 unit, so astral
 * characters become their surrogate pair). The single-file IIFE is a classic script: a host page
 * without <meta charset="utf-8"> (windows-1252 by default) decoded its UTF-8 "·", "●", "▲" as
 * mojibake. terser's ascii_only leaves template literals as written, and the Lit templates are
 * where the characters are; an escape is valid in every place one can stand in JS (strings,
 * templates, whose cooked text Lit reads, regular expressions, identifiers). No source map is
 * written for the IIFE, so none needs adjusting.
 */
function asciiOnly() {
  return {
    name: 'cx-ascii-only',
    renderChunk(code) {
      return { code: code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), map: null };
    },
  };
}

const browserPlugins = (minify) => {
  const terserOptions = {
    ecma: 2020, module: false, toplevel: false, compress: { passes: 2 },
    mangle: { properties: { regex: '(?!)' } },
    // ASCII only (other characters as \u escapes): a classic <script> is decoded in the host
    // page's encoding unless the server or the tag says otherwise, and a page without
    // <meta charset="utf-8"> (windows-1252 by default) showed every "·", "●", "▲" as mojibake.
    format: { ascii_only: true },
  };
  const members = privateMembers(terserOptions);
  return [
  ...(minify ? [members.collect] : []),
  resolve({ browser: true, exportConditions: ['source', 'browser', 'module', 'import', 'default'], extensions: ['.ts', '.mjs', '.js'] }),
  commonjsBrowser(),
  esbuild({ target: 'es2022', minify: false, tsconfig: 'tsconfig.json' }),
  ...(minify ? [minifyLitTemplates()] : []),
  // Not `module`/`toplevel`: both imply dropping unused top-level names, and the IIFE's one
  // top-level name is the `var CxAnomalyWidget` global (everything else is inside its function).
  ...(minify ? [members.analyse, terser(terserOptions)] : []),
  ];
};

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
 * d3-array's index runs `bisector(ascending)` and `bisector(number)` at load (for bisectLeft/
 * Right/Center); rollup keeps such calls since it cannot tell them free of side effects, and with
 * them bisector, ascending, descending, number and zero, though the widget imports `ticks` only.
 * They are pure (they build closures), so unused results may go.
 * The engine's modules have no side effects on import (no DOM, no globals: CONVENTIONS.md), but
 * rollup cannot tell that from statements such as the model format's endianness probe or the
 * data generator's intraday curve, and keeps them (and their modules) where nothing of the
 * module is used; `moduleSideEffects: false` for them lets a module whose exports go unused go.
 */
const ENGINE_SOURCE = /\/packages\/engine\/src\//;
/** Engine folders that do act on import (nab/adapters.ts registers detectors) or are Node-only: left as they are. */
const ENGINE_WITH_EFFECTS = /\/packages\/engine\/src\/(nab|cli|node|eval)\//;
const engineModuleSideEffects = (id) => !ENGINE_SOURCE.test(id) || ENGINE_WITH_EFFECTS.test(id);
const widgetTreeshake = {
  manualPureFunctions: ['bisector'],
  moduleSideEffects: engineModuleSideEffects,
};

const NO_TFJS_MESSAGE = 'tfjs is not part of the single-file IIFE build; use the ESM build for the WebGL/WebGPU kernels';
const NO_TFJS = '\0cx-no-tfjs';
/** The loader, stubbed: it rejects with AccelUnavailableError, as loadTfjs does where a backend cannot start. */
const TFJS_LOADER = /packages\/engine\/src\/accel\/tfjs-loader\.ts$/;
/**
 * Modules that run only once loadTfjs has succeeded (the kernels, with their GLSL/WGSL shader
 * sources and tfjs glue, and the ranked-forest packing they read): without tfjs they can never
 * run, so the IIFE takes them as stubs whose every export throws. Their export lists are read
 * from the sources, so the stubs follow the engine.
 */
const TFJS_ONLY = /packages\/engine\/src\/accel\/(webgl-kernel|webgpu-kernel|gather-kernel|ranked-forest)\.ts$/;

/**
 * The single-file IIFE leaves tfjs out (it would add ~190 KB gzip to a file whose budget is 60 KB):
 * every @tensorflow/* import becomes a stub whose functions throw, so the engine's accelerated
 * tree paths report AccelUnavailableError and the JS loop runs (loadTfjs keeps its contract, and
 * the widget's probe and `engine` override fall back to the JS loop as before). The ESM build
 * keeps tfjs as lazy chunks (loaded on the first GPU use only). One copy of the message serves
 * every stub.
 */
function noTfjs() {
  return {
    name: 'cx-no-tfjs',
    resolveId(id) {
      return /^@tensorflow\//.test(id) || id === NO_TFJS ? NO_TFJS : null;
    },
    load(id) {
      if (TFJS_LOADER.test(id)) {
        return `import { NO_TFJS_MESSAGE } from '${NO_TFJS}';
export class AccelUnavailableError extends Error { name = 'AccelUnavailableError'; }
export async function loadTfjs(name) { throw new AccelUnavailableError('tfjs backend "' + name + '" is not available: ' + NO_TFJS_MESSAGE); }`;
      }
      if (TFJS_ONLY.test(id)) {
        return `import { fail } from '${NO_TFJS}';\nexport const ${exportedNames(id).map((n) => `${n} = fail`).join(', ')};`;
      }
      if (id !== NO_TFJS) return null;
      return `export const NO_TFJS_MESSAGE = ${JSON.stringify(NO_TFJS_MESSAGE)};
export const fail = () => { throw new Error(NO_TFJS_MESSAGE); };
export const getBackend = fail, setBackend = fail, ready = fail;`;
    },
  };
}

/**
 * The single-file IIFE also leaves out the forest's WebAssembly walk kernel (its bytes and
 * wrapper, ~4 KB gzip against the file's size budget): its forests take the JS walks, which
 * give the same results more slowly, and walkKernelStatus() says why. The ESM build carries it.
 */
const WALK_KERNEL = /packages\/engine\/src\/rcf\/kernel\/walk-kernel\.ts$/;
function noWasmKernel() {
  return {
    name: 'cx-no-wasm-kernel',
    load(id) {
      if (!WALK_KERNEL.test(id)) return null;
      return `const reason = 'not part of this build (the single-file IIFE leaves the WebAssembly walks out; the ESM build has them)';
export class WalkKernel { static create() { return null; } }
export function walkKernelStatus() { return { kernel: 'js', reason }; }
export function setWalkKernelEnabled() {}`;
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
  plugins: () => [noTfjs(), noWasmKernel(), ...browserPlugins(true)],
  output: { format: 'iife', name: 'cxWorkerMain', inlineDynamicImports: true },
  treeshake: { moduleSideEffects: engineModuleSideEffects },
};

/**
 * Builds worker-main.ts as a self-contained script: `var cxWorkerMain = (function () { ... })();`
 * (tree-shaken, minified; `module`/`toplevel` off so that the one top-level name stays).
 */
async function buildWorkerMainScript() {
  const bundle = await rollup({ input: workerScriptBuild.input, plugins: workerScriptBuild.plugins(), treeshake: workerScriptBuild.treeshake, onwarn });
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
        return `import { sharedModule } from '${WORKER_MODULE_ID}';
export const { ${names.join(', ')} } = sharedModule(${JSON.stringify(m.key)}, ${JSON.stringify(names)});`;
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
/** One module of the worker program's \`shared\`, checked to hold every name the page side imports. */
export function sharedModule(key, names) {
  const m = workerExports().shared[key];
  for (const n of names) if (m[n] === undefined) throw new Error('cx-anomaly-widget build: the worker program does not share ' + n + ' of ' + key);
  return m;
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
    treeshake: widgetTreeshake,
    onwarn,
  },
  {
    input: 'packages/widget/src/index.ts',
    output: { file: 'packages/widget/dist/cx-anomaly-widget.iife.js', format: 'iife', name: 'CxAnomalyWidget', inlineDynamicImports: true, plugins: [asciiOnly()] },
    plugins: [noTfjs(), noWasmKernel(), engineWorker('inline'), ...browserPlugins(true)],
    treeshake: widgetTreeshake,
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
