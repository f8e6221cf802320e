import { build, analyzeMetafile } from 'esbuild';
import { cxStub } from './_cxstub.tmp.mjs';
import { gzipSync } from 'node:zlib';
const entry = process.argv[2];
const r = await build({ entryPoints: [entry], bundle: true, minify: true, format: 'iife', conditions: ['source','browser'], metafile: true, write: false, plugins: [cxStub], logLevel: 'error', external: ['fs','path','os','worker_threads','perf_hooks','crypto'] });
const code = r.outputFiles[0].text;
console.log('total min', code.length, 'gzip', gzipSync(code, {level:9}).length);
// group by package
const out = Object.values(r.metafile.outputs)[0].inputs;
const groups = {};
for (const [p, v] of Object.entries(out)) { let g = p.match(/node_modules\/((@[^/]+\/)?[^/]+)/)?.[1] ?? p.split('/').slice(0,4).join('/'); groups[g] = (groups[g]??0) + v.bytesInOutput; }
for (const [g, b] of Object.entries(groups).sort((a,b)=>b[1]-a[1]).slice(0,40)) console.log(String(b).padStart(8), g);
