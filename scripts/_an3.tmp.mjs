import { build } from 'esbuild';
import { cxStub } from './_cxstub.tmp.mjs';
const r = await build({ entryPoints: [process.argv[2]], bundle: true, minify: true, format: 'iife', conditions: ['source','browser'], metafile: true, write: false, plugins: [cxStub], logLevel: 'error', external: ['fs','path','os','worker_threads','perf_hooks','crypto'] });
const out = Object.values(r.metafile.outputs)[0].inputs;
for (const [p, v] of Object.entries(out).sort((a,b)=>b[1].bytesInOutput-a[1].bytesInOutput).slice(0, +process.argv[3] || 30)) console.log(String(v.bytesInOutput).padStart(8), p);
