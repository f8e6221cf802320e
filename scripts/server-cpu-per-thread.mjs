#!/usr/bin/env node
// CPU per ingested-and-scored record, per thread of the server process (Linux /proc only).
//
//   npm run build && node scripts/server-cpu-per-thread.mjs [records]     (default 100000)
//   env: BUNDLE=path/to/main.js (another server build), TREES=30, NODEFLAGS="--cpu-prof ..."
//
// Starts the built server on a fresh store in the OS temp folder (replay off, rate limit off),
// posts `records` typical interval records (the generator's, as bench-server.mjs sends) at
// batch 100 with 4 requests in flight, waits until every one is scored, and prints each
// thread's CPU seconds per record (utime + stime from /proc/PID/task/TID/stat): the main
// thread, the stream workers, V8's helper threads. CPU per record is what caps the
// end-to-end rate on a small machine: cores / (µs per record) records per µs, at best.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = process.env.BUNDLE ?? join(root, 'packages/demo-server/dist/main.js');
const N = Number(process.argv[2] ?? 100_000);
const flags = (process.env.NODEFLAGS ?? '').split(' ').filter(Boolean);
const { generateCxData } = await import(pathToFileURL(join(root, 'packages/engine/dist/index.js')).href);
const { header, rows } = generateCxData({ days: 14, seed: 101, start: '2026-02-02' }).intervals;
const text = new Set(['timestamp', 'queue']);
const typical = rows.map((row) => Object.fromEntries(header.map((k, c) => [k, text.has(k) ? row[c] : row[c] === '' ? null : Number(row[c])])));
/** Records offset..offset+n of the typical stream; past its end it starts again, 14 days later. */
function records(n, offset) {
  const out = [];
  for (let k = 0; k < n; k++) {
    const i = offset + k;
    const cycle = Math.floor(i / typical.length);
    const r = typical[i % typical.length];
    out.push(cycle === 0 ? r : { ...r, timestamp: new Date(Date.parse(r.timestamp) + cycle * 14 * 86_400_000).toISOString() });
  }
  return out;
}

const store = join(tmpdir(), `cx-cpu-${process.pid}.db`);
const port = 18_000 + (process.pid % 1000);
const child = spawn(process.execPath, [...flags, bundle], {
  env: { ...process.env, PORT: String(port), CX_STORE: store, CX_REPLAY: 'off', CX_RATE_LIMIT: '0', CX_LOG_LEVEL: 'warn', CX_BODY_LIMIT: String(8 << 20), CX_GENERATE_DAYS: '7', CX_NUM_TREES: process.env.TREES ?? '30', CX_SAMPLE_SIZE: '256' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const base = `http://127.0.0.1:${port}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const health = async () => (await fetch(`${base}/health`)).json();
try {
  for (let t = Date.now(); ; ) {
    try {
      if ((await health()).model.ready) break;
    } catch {
      // not up yet
    }
    if (Date.now() - t > 120_000) throw new Error('the server did not get ready in 120 s');
    await sleep(200);
  }
  /** CPU seconds per thread: 'main' for the main thread, else its name and id. */
  const threads = () => {
    const out = {};
    for (const tid of readdirSync(`/proc/${child.pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8');
        const name = readFileSync(`/proc/${child.pid}/task/${tid}/comm`, 'utf8').trim();
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out[Number(tid) === child.pid ? 'main' : `${name}:${tid}`] = (Number(f[11]) + Number(f[12])) / 100;
      } catch {
        // the thread ended
      }
    }
    return out;
  };
  const c0 = threads();
  const t0 = Date.now();
  let next = 0;
  const poster = async () => {
    while (next < N) {
      const off = next;
      next += 100;
      const r = await fetch(`${base}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(records(Math.min(100, N - off), off)) });
      if (!r.ok) throw new Error(`POST /ingest: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
    }
  };
  await Promise.all([poster(), poster(), poster(), poster()]);
  const tIngest = Date.now() - t0;
  for (let h = await health(); h.store.scoringBacklog > 0; h = await health()) await sleep(100);
  const elapsed = Date.now() - t0;
  const c1 = threads();
  console.log(`${N} records: ingested in ${(tIngest / 1000).toFixed(1)} s, all scored after ${(elapsed / 1000).toFixed(1)} s = ${Math.round((N / elapsed) * 1000)} records/s end to end`);
  let total = 0;
  for (const [k, v] of Object.entries(c1).map(([k, v]) => [k, v - (c0[k] ?? 0)]).sort((a, b) => b[1] - a[1])) {
    total += v;
    if ((v / N) * 1e6 >= 0.5) console.log(`  ${k.padEnd(24)} ${((v / N) * 1e6).toFixed(1)} µs/record`);
  }
  console.log(`  ${'all threads'.padEnd(24)} ${((total / N) * 1e6).toFixed(1)} µs/record`);
} finally {
  child.kill(flags.some((f) => f.startsWith('--cpu-prof')) ? 'SIGINT' : 'SIGKILL');
  await new Promise((r) => child.once('exit', r));
  for (const s of ['', '-wal', '-shm']) rmSync(store + s, { force: true });
}
