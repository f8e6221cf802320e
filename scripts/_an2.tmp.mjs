import { build } from 'esbuild';
import { cxStub } from './_cxstub.tmp.mjs';
import { gzipSync } from 'node:zlib';
const stubs = process.argv.slice(2);
const r = await build({ entryPoints: ['packages/widget/src/index.ts'], bundle: true, minify: true, format: 'iife', conditions: ['source','browser'], write: false, logLevel: 'error', external: ['fs','path','os','worker_threads','perf_hooks','crypto'],
  plugins: [cxStub, { name: 's', setup(b) { for (const m of stubs) { b.onResolve({ filter: new RegExp('^' + m + '$') }, () => ({ path: m, namespace: 'st' })); } b.onLoad({ filter: /.*/, namespace: 'st' }, (a) => ({ contents: a.path === 'd3-zoom' ? 'export const zoom=()=>0, zoomIdentity={}' : a.path === 'd3-brush' ? 'export const brushX=()=>0' : 'export const select=0, axisBottom=0, axisLeft=0, scaleLinear=0, scaleTime=0' })); } }] });
const code = r.outputFiles[0].text;
console.log(stubs.join(',') || '(none)', 'min', code.length, 'gzip', gzipSync(code, { level: 9 }).length);
