// Benchmark of the ingest server: autocannon on loopback against the built server
// (packages/demo-server/dist/main.js; run `npm run build` first), bounded in time.
//
//   npm run bench:server                       # every profile, 5 s per run
//   BENCH_DURATION=10 BENCH_CONNECTIONS=8 npm run bench:server
//   BENCH_OUT=/tmp/bench.md npm run bench:server -- --profile default   # the table elsewhere
//   npm run bench:server -- --profile default,nice0  # some profiles only
//   npm run bench:server -- --profile default,workers1 --rounds 3 --only score,ingest
//   npm run bench:server -- --profile default --bundle before=/path/to/other/main.js --rounds 3
//
// Flags: --profile (comma list), --rounds N (each run N times, the profiles interleaved run by
// run: A B A B ...; the table gives medians, since the shared machine drifts within minutes),
// --only ENDPOINTS (score, score-worst, ingest, interactions), --batches SIZES (1,100,1000), --bundle NAME=PATH (one more
// profile: the first listed profile's settings with another server bundle, e.g. a build of an
// earlier commit; repeatable). Environment: BENCH_DURATION (s per run, 5), BENCH_CONNECTIONS
// (4), BENCH_SCORE_CONNECTIONS (the /score batch-100 latency curve: `1,2,4,10`; latency =
// requests in flight / throughput, so p99 is read against the connection count).
//
// For /score and /ingest at batch sizes 1, 100, 1000: records/s (requests/s x batch),
// /ingest bodies carry new intervals each request (the same 4 queues, later slots);
// p50/p99 latency. The interval records are typical traffic: the product's own generator
// (generateCxData, 14 days, seed 101, a seed the default model never saw; replayed in time
// order, cycled with shifted timestamps), so about as many records are anomalies as in real
// use (the generator's labelled incidents). `/score (abnormal values)` is the worst case: values
// drawn uniformly over ranges the model finds abnormal at night (most records are anomalies, and
// each anomaly also gets the forest's expected values: AWS-style imputation, the costliest walk).
// /ingest is acknowledged once records are durably written; scoring
// (streaming update) follows in the background, so the streaming scoring rate is
// measured separately (scored records per second while the ingest backlog drains).
// `interactions` posts interaction records (one contact each) to /ingest: the server stores
// them and rolls them up into 15-minute intervals; each request's contacts are 9 s apart
// and later than the previous request's (autocannon setupRequest), so intervals close as
// they would on a live feed. After the last /ingest run, GET /metrics gives the time spent
// per stage (write: /ingest transactions; score: stream worker; results: storing results;
// broadcast: SSE), per record.
// `/ingest` batch 100 also gives the end-to-end figure: records acknowledged during the run
// divided by the time until the last of them was scored (ingested AND scored, records/s).
// Profiles: `default` = the shipped model (30 trees x 256 points), worker pools as shipped
// (CX_SCORE_WORKERS, CX_STREAM_WORKERS = the cores); `workers1` = the same with one batch and one
// stream worker (the server before the pools); `trees100` = the engine
// default (100 trees); `light` = 10 trees x
// 64 points, which shows the server's own cost (HTTP, validation, SQLite) under a cheap
// model; `light-normal` = light with CX_DURABILITY=normal (no fsync per ingest commit).
// Writes docs/results/server-bench.md.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
// BENCH_BUNDLE: another build of the server for every profile (default: the one `npm run build` writes).
const bundle = process.env.BENCH_BUNDLE ?? join(root, 'packages/demo-server/dist/main.js');
const engineBundle = join(root, 'packages/engine/dist/index.js');
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
const SCORE_CONNECTIONS = (process.env.BENCH_SCORE_CONNECTIONS ?? '1,2,4,10').split(',').map(Number);
const BATCHES = (process.argv.includes('--batches') ? process.argv[process.argv.indexOf('--batches') + 1] : '1,100,1000').split(',').map(Number);
const TYPICAL_DAYS = 14;
const argOf = (name) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const ROUNDS = Number(argOf('--rounds') ?? 1);
const ONLY = argOf('--only')?.split(',');
const profileArg = process.argv.indexOf('--profile');
const PROFILES = {
  default: { env: { CX_NUM_TREES: '30', CX_SAMPLE_SIZE: '256' }, endpoints: ['score', 'score-worst', 'ingest', 'interactions'], note: '30 trees x 256 points (the shipped model), synchronous=FULL' },
  trees100: { env: { CX_NUM_TREES: '100', CX_SAMPLE_SIZE: '256' }, endpoints: ['score', 'ingest', 'interactions'], note: '100 trees x 256 points (the engine default), synchronous=FULL' },
  light: { env: { CX_NUM_TREES: '10', CX_SAMPLE_SIZE: '64' }, endpoints: ['score', 'ingest', 'interactions'], note: '10 trees x 64 points, synchronous=FULL' },
  // The stream scorer at normal priority (CX_SCORING_NICE=0): what its lower priority (default 10) changes.
  // One batch worker and one stream worker (the server before the worker pools): what the pools change.
  workers1: {
    env: { CX_NUM_TREES: '30', CX_SAMPLE_SIZE: '256', CX_SCORE_WORKERS: '1', CX_STREAM_WORKERS: '1' },
    endpoints: ['score', 'ingest', 'interactions'],
    note: 'the shipped model with one batch worker and one stream worker (CX_SCORE_WORKERS=1, CX_STREAM_WORKERS=1), for comparison with `default`',
  },
  // The four interval averages without aht_max (the default before it): what the fifth metric costs.
  fields4: {
    env: { CX_NUM_TREES: '30', CX_SAMPLE_SIZE: '256', CX_FIELDS: 'aht_avg:high,csat_avg:low,transfer_rate:high,volume' },
    endpoints: ['score', 'ingest'],
    note: 'the shipped model on the four interval averages (CX_FIELDS without aht_max:high:log), for comparison with `default`',
  },
  nice0: {
    env: { CX_NUM_TREES: '30', CX_SAMPLE_SIZE: '256', CX_SCORING_NICE: '0' },
    endpoints: ['ingest', 'interactions'],
    note: 'the shipped model with the streaming scorer thread at normal priority (CX_SCORING_NICE=0; default 10), for comparison with `default`',
  },
  'light-normal': {
    env: { CX_NUM_TREES: '10', CX_SAMPLE_SIZE: '64', CX_DURABILITY: 'normal' },
    endpoints: ['ingest'],
    note: '10 trees x 64 points, CX_DURABILITY=normal (no fsync per commit)',
  },
};
const wanted = profileArg !== -1 ? process.argv[profileArg + 1].split(',') : Object.keys(PROFILES);
for (const p of wanted) if (!PROFILES[p]) throw new Error(`unknown profile ${p}; known: ${Object.keys(PROFILES).join(', ')}`);
for (const p of Object.values(PROFILES)) p.bundle = bundle;
// --bundle NAME=PATH: the first profile's settings, another server build.
for (let i = 0; i < process.argv.length; i++) {
  if (process.argv[i] !== '--bundle') continue;
  const [name, path] = process.argv[i + 1].split('=');
  const like = PROFILES[wanted[0]];
  PROFILES[name] = { ...like, bundle: path, note: `${like.note}; server bundle ${path}` };
  wanted.push(name);
}
for (const f of [...wanted.map((p) => PROFILES[p].bundle), engineBundle]) {
  if (!existsSync(f)) {
    console.error(`bench-server: ${f} not found: run npm run build first`);
    process.exit(1);
  }
}


const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

/** A deterministic value in [0, 1) for record i and stream k (an integer hash: no repeats with a short period). */
function u(i, k) {
  let h = Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return ((h ^ (h >>> 15)) >>> 0) / 2 ** 32;
}

/** Typical traffic: the generator's intervals (numbers as numbers, empty cells null), time-ordered. */
const TYPICAL = await (async () => {
  const { generateCxData } = await import(pathToFileURL(engineBundle).href);
  const { header, rows } = generateCxData({ days: TYPICAL_DAYS, seed: 101, start: '2026-02-02' }).intervals;
  const text = new Set(['timestamp', 'queue']);
  return rows.map((row) => Object.fromEntries(header.map((k, c) => [k, text.has(k) ? row[c] : row[c] === '' ? null : Number(row[c])])));
})();

/** Records offset..offset+n of the typical stream; past its end it starts again, TYPICAL_DAYS later. */
function records(n, offset) {
  const out = new Array(n);
  for (let k = 0; k < n; k++) {
    const i = offset + k;
    const cycle = Math.floor(i / TYPICAL.length);
    const rec = TYPICAL[i % TYPICAL.length];
    out[k] = cycle === 0 ? rec : { ...rec, timestamp: new Date(Date.parse(rec.timestamp) + cycle * TYPICAL_DAYS * 86_400_000).toISOString() };
  }
  return out;
}

/**
 * Worst case: deterministic interval records, 4 queues, 15-minute slots, values drawn without a
 * short period over ranges that, at these hours, the default model finds abnormal (all anomalies).
 */
function abnormalRecords(n, offset) {
  const queues = ['billing', 'tech_support', 'sales', 'retention'];
  return Array.from({ length: n }, (_, k) => {
    const i = offset + k;
    const answered = u(i, 5) > 0.3;
    return {
      timestamp: new Date(Date.UTC(2026, 1, 2) + Math.floor(i / 4) * 900_000).toISOString(),
      queue: queues[i % 4],
      volume: 20 + Math.floor(u(i, 1) * 30),
      aht_avg: Math.round((300 + u(i, 2) * 120) * 10) / 10,
      transfer_rate: Math.round((0.05 + u(i, 3) * 0.1) * 1e4) / 1e4,
      csat_avg: answered ? Math.round((3.8 + u(i, 4)) * 100) / 100 : null,
      csat_responses: answered ? 2 : 0,
      // The longest contact: 2-4x the mean, as a busy interval's max is (a value, not missing, so the worst case stays worst).
      aht_max: Math.round((300 + u(i, 2) * 120) * (2 + 2 * u(i, 6))),
    };
  });
}

/** Interaction records (the generator's columns), 9 s apart, continuing from `counter.next`. */
function interactions(n, counter) {
  const queues = ['billing', 'tech_support', 'sales', 'retention'];
  const t0 = Date.UTC(2026, 1, 2);
  return Array.from({ length: n }, () => {
    const i = counter.next++;
    return {
      timestamp: new Date(t0 + i * 9000).toISOString(),
      interaction_id: `bench-${i}`,
      queue: queues[i % 4],
      channel: 'phone',
      aht_seconds: 240 + ((i * 37) % 300),
      transfers: i % 11 === 0 ? 1 : 0,
      csat: i % 4 === 0 ? 1 + (i % 5) : null,
    };
  });
}

/** Seconds per stage from GET /metrics (cx_stage_seconds_total), and the record counters. */
async function stages(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const num = (re) => Number(re.exec(text)?.[1] ?? NaN);
  const out = { ingested: num(/^cx_records_ingested_total\{source="ingest"\} (\S+)$/m), scored: num(/^cx_records_scored_total (\S+)$/m) };
  for (const st of ['write', 'score', 'results', 'broadcast']) out[st] = num(new RegExp(`^cx_stage_seconds_total\\{stage="${st}"\\} (\\S+)$`, 'm'));
  return out;
}

async function health(base) {
  return (await fetch(`${base}/health`)).json();
}

function cannon(opts) {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

function startServer(port, store, name) {
  return spawn(process.execPath, [PROFILES[name].bundle], {
    env: {
      ...process.env,
      PORT: String(port),
      CX_STORE: store,
      CX_REPLAY: 'off',
      CX_RATE_LIMIT: '0',
      CX_LOG_LEVEL: 'warn',
      CX_BODY_LIMIT: String(8 * 1024 * 1024),
      CX_GENERATE_DAYS: '7',
      ...PROFILES[name].env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function stopServer(child) {
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

async function waitReady(base, limitMs) {
  const t0 = Date.now();
  for (;;) {
    try {
      if ((await health(base)).model.ready) return (Date.now() - t0) / 1000;
    } catch {
      /* not up yet */
    }
    if (Date.now() - t0 > limitMs) throw new Error(`server did not get ready in ${limitMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The runs of a profile: endpoint x batch (x connections for the /score latency curve). */
function casesOf(name) {
  const out = [];
  for (const endpoint of PROFILES[name].endpoints) {
    if (ONLY && !ONLY.includes(endpoint)) continue;
    for (const batch of endpoint === 'score-worst' ? BATCHES.filter((b) => b === 100) : BATCHES) {
      const conns = endpoint === 'score' && batch === 100 ? [...new Set([CONNECTIONS, ...SCORE_CONNECTIONS])].sort((a, b) => a - b) : [CONNECTIONS];
      for (const connections of conns) out.push({ endpoint, batch, connections });
    }
  }
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU seconds (user + system) of the server process and of its main thread (Linux /proc; null
 * elsewhere). CPU per record is steadier than throughput on a shared machine: it does not count
 * the time a thread waited for a core.
 */
function cpuOf(pid) {
  const read = (path) => {
    try {
      const f = readFileSync(path, 'utf8');
      const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
      return (Number(parts[11]) + Number(parts[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
    } catch {
      return null;
    }
  };
  const all = read(`/proc/${pid}/stat`);
  const main = read(`/proc/${pid}/task/${pid}/stat`);
  return all === null || main === null ? null : { all, main };
}

/** One run: a freshly started server on the profile's store (the model trained by its first start), so no run inherits a scoring backlog. */
async function runCase(ctx, { endpoint, batch, connections }) {
  const { name, port, base, store } = ctx;
  const child = startServer(port, store, name);
  const extra = {};
  try {
    await waitReady(base, 60_000);
    // Records a previous run left unscored (its server was killed with a backlog) are scored at
    // start-up: wait for them, so that no run pays for another's backlog.
    for (let h = await health(base), t = Date.now(); h.store.scoringBacklog > 0 && Date.now() - t < 300_000; h = await health(base)) await sleep(500);
    const isIx = endpoint === 'interactions';
    const counter = { next: 0 };
    const before = isIx ? await health(base) : null;
    const isScore = endpoint === 'score' || endpoint === 'score-worst';
    const scoreBody = endpoint === 'score-worst' ? JSON.stringify(abnormalRecords(batch, batch * 7)) : JSON.stringify(records(batch, batch * 7));
    // The share of the /score body that the model flags (typical traffic vs the worst case).
    let anomalies = null;
    if (isScore) {
      const r = await (await fetch(`${base}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: scoreBody })).json();
      anomalies = r.results.filter((x) => x.isAnomaly).length / r.results.length;
    }
    const scoredBefore = endpoint === 'ingest' ? (await stages(base)).scored : 0;
    const cpu0 = cpuOf(child.pid);
    const t0 = Date.now();
    const res = await cannon({
      url: `${base}/${isIx || endpoint === 'ingest' ? 'ingest' : 'score'}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // /score: the same body each request (stateless). /ingest: new records each request
      // (later intervals; interactions: later contacts), so the streaming detector learns
      // a stream, not one batch over and over (repeated points are far cheaper to learn).
      ...(isIx
        ? { requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(interactions(batch, counter)) }) }] }
        : endpoint === 'ingest'
          ? { requests: [{ setupRequest: (req) => { const b = JSON.stringify(records(batch, counter.next)); counter.next += batch; return { ...req, body: b }; } }] }
          : { body: scoreBody }),
      connections,
      duration: DURATION,
      timeout: 60,
    });
    const cpu1 = cpuOf(child.pid);
    const ok = res.requests.total - res.non2xx - res.errors;
    const row = {
      endpoint: endpoint === 'interactions' ? '/ingest (interactions)' : endpoint === 'score-worst' ? '/score (abnormal values)' : `/${endpoint}`,
      anomalies,
      batch,
      connections,
      requests: res.requests.total,
      recordsPerSec: Math.round((ok * batch) / res.duration),
      p50: res.latency.p50,
      p99: res.latency.p99,
      non2xx: res.non2xx,
      errors: res.errors,
      // CPU µs per acknowledged record during the run: the main thread, and the whole process (workers
      // included; /ingest: the streaming scoring that ran meanwhile too).
      cpuMain: cpu0 && cpu1 && ok > 0 ? ((cpu1.main - cpu0.main) / (ok * batch)) * 1e6 : null,
      cpuAll: cpu0 && cpu1 && ok > 0 ? ((cpu1.all - cpu0.all) / (ok * batch)) * 1e6 : null,
    };
    if (endpoint === 'ingest' && batch === 100) {
      // End to end: the records acknowledged in the run, over the time until the last is scored (at most 120 s more).
      let h = await health(base);
      while (h.store.scoringBacklog > 0 && Date.now() - t0 < DURATION * 1000 + 120_000) {
        await sleep(200);
        h = await health(base);
      }
      const elapsed = Date.now() - t0;
      row.drained = h.store.scoringBacklog === 0;
      const scored = row.drained ? ok * batch : (await stages(base)).scored - scoredBefore;
      row.endToEnd = Math.round((scored / elapsed) * 1000);
    }
    console.log(
      `[${name}] ${row.endpoint} batch ${batch} x ${connections} conn: ${row.recordsPerSec} records/s, p50 ${row.p50} ms, p99 ${row.p99} ms (${row.requests} requests, ${row.non2xx} non-2xx, ${row.errors} errors)` +
        (row.cpuMain !== null ? `; CPU per record: main thread ${row.cpuMain.toFixed(1)} us, process ${row.cpuAll.toFixed(1)} us` : '') +
        (row.endToEnd !== undefined ? `; ingested and scored ${row.endToEnd} records/s${row.drained ? '' : ' (backlog not drained in 120 s)'}` : ''),
    );
    if (endpoint === 'ingest' && batch === BATCHES[BATCHES.length - 1]) {
      // Streaming scoring rate: how fast the backlog of ingested records is scored (records scored, from /metrics).
      const a = await stages(base);
      const ta = Date.now();
      await sleep(Math.max(3, DURATION) * 1000);
      const b = await stages(base);
      const hb = await health(base);
      extra.scoredPerSec = ((b.scored - a.scored) / (Date.now() - ta)) * 1000;
      console.log(`[${name}] streaming scoring: ${extra.scoredPerSec.toFixed(0)} records/s (backlog ${hb.store.scoringBacklog})`);
      const st = await stages(base);
      extra.stageCost = {
        write: (st.write / st.ingested) * 1e6,
        score: (st.score / st.scored) * 1e6,
        results: (st.results / st.scored) * 1e6,
        broadcast: (st.broadcast / st.scored) * 1e6,
        ingested: st.ingested,
        scored: st.scored,
      };
      const c = extra.stageCost;
      console.log(`[${name}] per record: write ${c.write.toFixed(1)} us, score ${c.score.toFixed(1)} us, results ${c.results.toFixed(1)} us, broadcast ${c.broadcast.toFixed(1)} us`);
    }
    if (isIx) {
      // The store is shared by the runs of a profile: this run's share is the difference.
      const h = await health(base);
      row.rollup = `${(h.rollup.interactions - before.rollup.interactions).toLocaleString('en-US')} interactions stored, ${(h.store.records - before.store.records).toLocaleString('en-US')} intervals closed (stored, then scored)`;
    }
    return { row, extra };
  } finally {
    await stopServer(child);
  }
}

const median = (xs) => {
  const v = xs.filter((x) => x !== undefined && x !== null).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

/** Medians over the rounds of one case (records/s, latencies, end to end); counts summed. */
function mergeRows(rows) {
  const r0 = rows[0];
  return {
    ...r0,
    recordsPerSec: Math.round(median(rows.map((r) => r.recordsPerSec))),
    p50: median(rows.map((r) => r.p50)),
    p99: median(rows.map((r) => r.p99)),
    cpuMain: median(rows.map((r) => r.cpuMain)) ?? null,
    cpuAll: median(rows.map((r) => r.cpuAll)) ?? null,
    requests: rows.reduce((a, r) => a + r.requests, 0),
    non2xx: rows.reduce((a, r) => a + r.non2xx, 0),
    errors: rows.reduce((a, r) => a + r.errors, 0),
    endToEnd: r0.endToEnd === undefined ? undefined : Math.round(median(rows.map((r) => r.endToEnd))),
    drained: rows.every((r) => r.drained !== false),
    runs: rows.length,
    range: rows.length > 1 ? [Math.min(...rows.map((r) => r.recordsPerSec)), Math.max(...rows.map((r) => r.recordsPerSec))] : null,
  };
}

const loadBefore = loadavg()[0];
const results = {};
const contexts = [];
try {
  // Each profile: its own store; the first start trains the default model and keeps it there.
  for (const name of wanted) {
    const dir = mkdtempSync(join(tmpdir(), 'cx-bench-server-'));
    const port = await freePort();
    const ctx = { name, dir, port, base: `http://127.0.0.1:${port}`, store: join(dir, 'cx.sqlite') };
    contexts.push(ctx);
    const child = startServer(ctx.port, ctx.store, name);
    try {
      ctx.startup = await waitReady(ctx.base, 180_000);
    } finally {
      await stopServer(child);
    }
    console.log(`[${name}] model trained and ready after ${ctx.startup.toFixed(1)} s`);
    results[name] = { runs: new Map(), startup: ctx.startup, scoredPerSec: [], stageCost: null };
  }
  // Case by case, round by round, the profiles one after the other (A B A B): a drift of the
  // machine's load hits them alike.
  const keys = [];
  for (const ctx of contexts) for (const c of casesOf(ctx.name)) if (!keys.some((k) => k.endpoint === c.endpoint && k.batch === c.batch && k.connections === c.connections)) keys.push(c);
  for (const c of keys) {
    for (let round = 0; round < ROUNDS; round++) {
      for (const ctx of contexts) {
        if (!casesOf(ctx.name).some((k) => k.endpoint === c.endpoint && k.batch === c.batch && k.connections === c.connections)) continue;
        const { row, extra } = await runCase(ctx, c);
        const r = results[ctx.name];
        const key = `${c.endpoint}|${c.batch}|${c.connections}`;
        if (!r.runs.has(key)) r.runs.set(key, []);
        r.runs.get(key).push(row);
        if (extra.scoredPerSec !== undefined) r.scoredPerSec.push(extra.scoredPerSec);
        if (extra.stageCost) r.stageCost = extra.stageCost;
      }
    }
  }
} finally {
  for (const ctx of contexts) rmSync(ctx.dir, { recursive: true, force: true });
}
for (const r of Object.values(results)) {
  r.rows = [...r.runs.values()].map(mergeRows);
  r.scoredPerSec = median(r.scoredPerSec) ?? 0;
}
const loadAfter = loadavg()[0];

const lines = [
  '# Ingest server benchmark',
  '',
  `Measured by \`npm run bench:server\` (scripts/bench-server.mjs) on ${new Date().toISOString().slice(0, 10)}: autocannon on loopback,`,
  `${DURATION} s per run, ${CONNECTIONS} connections (the /score batch-100 curve: ${SCORE_CONNECTIONS.join(', ')}), ${ROUNDS > 1 ? `${ROUNDS} rounds per row, the profiles interleaved run by run, medians (range of records/s in brackets), ` : ''}JSON bodies of interval records (4 queues; /score: the same body each request; /ingest: later`,
  'intervals each request; the `(interactions)` rows: interaction records, later contacts each request, rolled up into 15-minute intervals),',
  'a freshly started server per run.',
  `Interval records are typical traffic: the product's generator (\`generateCxData\`, ${TYPICAL_DAYS} days, seed 101, which the default model never saw), in time order,`,
  'with its labelled incidents, so about as few records are anomalies as in real use. `/score (abnormal values)` is the worst case: values the model finds abnormal, most records',
  "an anomaly, and an anomaly also gets the forest's expected values (AWS-style imputation, the costliest tree walk).",
  `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}; shared with other jobs: 1-minute load average ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end.`,
  'With the load several times the core count, figures move by a factor of 2-3 between runs: compare within one run only.',
  'Server: the built bundle, replay off, rate limit off, SQLite in WAL mode, group commit of concurrent /ingest requests; scoring in worker threads.',
  'Analysis (where the time goes, what limits each figure): docs/server.md, section Performance.',
  '',
  '`/ingest` is answered once the batch is durably written; scoring (streaming update) runs after the answer,',
  'so its rate is the "streaming scoring" line; "ingested and scored" (`/ingest` batch 100) is the records acknowledged in the run over the time',
  'until the last of them was scored: the end-to-end rate. `/score` scores in the request (batch scoring, nothing stored); its latency is',
  'the requests in flight (the connections) over the throughput, hence the curve over connection counts. "CPU µs/record": CPU time of the',
  "server's main thread and of its whole process (worker threads included; for /ingest, the streaming scoring done during the run too) per",
  'acknowledged record (Linux /proc): steadier than throughput on a shared machine, as it leaves out the time spent waiting for a core.',
  '"records/s" counts acknowledged (2xx) records only. The `/ingest` "non-2xx" are 503s of the back-pressure rule (more than',
  '200,000 records waiting to be scored): in sustained use ingestion cannot outrun the streaming scoring line, whatever the',
  'acknowledged rate of a 5 s burst.',
  '',
];
for (const [p, r] of Object.entries(results)) {
  lines.push(`## Profile \`${p}\`: ${PROFILES[p].note}`, '', `First start (default model trained on 7 days of generated data): ready after ${r.startup.toFixed(1)} s.`, '');
  lines.push(
    '| endpoint | batch | connections | records/s | p50 ms | p99 ms | ingested and scored, records/s | CPU µs/record: main thread, process | requests | non-2xx | anomalies in the body |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  const fmt = (n) => n.toLocaleString('en-US');
  for (const row of r.rows) {
    const an = row.anomalies === null || row.anomalies === undefined ? '' : `${(row.anomalies * 100).toFixed(0)}%`;
    const rate = `${fmt(row.recordsPerSec)}${row.range ? ` (${fmt(row.range[0])}-${fmt(row.range[1])})` : ''}`;
    const e2e = row.endToEnd === undefined ? '' : `${fmt(row.endToEnd)}${row.drained ? '' : ' (not drained)'}`;
    const cpu = row.cpuMain === null ? '' : `${row.cpuMain.toFixed(1)}, ${row.cpuAll.toFixed(1)}`;
    lines.push(`| ${row.endpoint} | ${row.batch} | ${row.connections} | ${rate} | ${row.p50} | ${row.p99} | ${e2e} | ${cpu} | ${row.requests} | ${row.non2xx + row.errors} | ${an} |`);
  }
  if (r.rows.some((row) => row.endpoint === '/ingest' && row.batch === 1000)) {
    lines.push('', `Streaming scoring (stream workers draining the ingest backlog${ROUNDS > 1 ? ', median' : ''}): ${Math.round(r.scoredPerSec).toLocaleString('en-US')} records/s.`);
  }
  const c = r.stageCost;
  if (c) {
    lines.push(
      '',
      `Where the time goes (GET /metrics \`cx_stage_seconds_total\` after the /ingest batch-1000 run: ${c.ingested.toLocaleString('en-US')} records written, ${c.scored.toLocaleString('en-US')} scored), per record:`,
      `write (SQLite transaction, main thread) ${c.write.toFixed(1)} µs; score (time the scoring pipeline waited for the stream workers; builds before stop 13: the wall time of its calls, one chunk at a time) ${c.score.toFixed(1)} µs;`,
      `results (SQLite update, main thread) ${c.results.toFixed(1)} µs; broadcast (SSE events built and written) ${c.broadcast.toFixed(1)} µs.`,
    );
  }
  for (const row of r.rows) if (row.rollup) lines.push('', `Interactions at batch ${row.batch}: ${row.rollup}.`);
  lines.push('');
}
// BENCH_OUT: another file for the table (trial runs leave the committed figures alone).
const outFile = process.env.BENCH_OUT ?? join(root, 'docs/results/server-bench.md');
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, lines.join('\n'));
console.log(`wrote ${outFile}`);
