// Builds only the IIFE config of rollup.config.mjs (faster than all of it) and prints sizes.
import configs from '../rollup.config.mjs';
import { rollup } from 'rollup';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
const c = configs.find((x) => x.output.format === 'iife');
const b = await rollup(c);
await b.write(c.output);
await b.close();
const code = readFileSync(c.output.file, 'utf8');
const i = code.indexOf('var cxWorkerMain');
const j = code.indexOf('return cxWorkerMain.start');
const worker = code.slice(i, j);
const gz = (s) => gzipSync(s, { level: 9 }).length;
console.log(`IIFE ${code.length} B, gzip ${gz(code)}; worker part ${worker.length} B gzip(alone) ${gz(worker)}; rest gzip(alone) ${gz(code.slice(0, i) + code.slice(j))}`);
