// Benchmark of the ingest server: autocannon on loopback against the built server
// (packages/demo-server/dist/main.js; run `npm run build` first), bounded in time.
//
//   npm run bench:server                       # every profile, 5 s per run
//   BENCH_DURATION=10 BENCH_CONNECTIONS=8 npm run bench:server
//   npm run bench:server -- --profile default,nice0  # some profiles only
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
// Profiles: `default` = the shipped model (30 trees x 256 points); `trees100` = the engine
// default (100 trees); `light` = 10 trees x
// 64 points, which shows the server's own cost (HTTP, validation, SQLite) under a cheap
// model; `light-normal` = light with CX_DURABILITY=normal (no fsync per ingest commit).
// Writes docs/results/server-bench.md.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const bundle = join(root, 'packages/demo-server/dist/main.js');
const engineBundle = join(root, 'packages/engine/dist/index.js');
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
const BATCHES = [1, 100, 1000];
const TYPICAL_DAYS = 14;
const profileArg = process.argv.indexOf('--profile');
const PROFILES = {
  default: { env: { CX_NUM_TREES: '30', CX_SAMPLE_SIZE: '256' }, endpoints: ['score', 'score-worst', 'ingest', 'interactions'], note: '30 trees x 256 points (the shipped model), synchronous=FULL' },
  trees100: { env: { CX_NUM_TREES: '100', CX_SAMPLE_SIZE: '256' }, endpoints: ['score', 'ingest', 'interactions'], note: '100 trees x 256 points (the engine default), synchronous=FULL' },
  light: { env: { CX_NUM_TREES: '10', CX_SAMPLE_SIZE: '64' }, endpoints: ['score', 'ingest', 'interactions'], note: '10 trees x 64 points, synchronous=FULL' },
  // The stream scorer at normal priority (CX_SCORING_NICE=0): what its lower priority (default 10) changes.
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
for (const f of [bundle, engineBundle]) {
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
  return spawn(process.execPath, [bundle], {
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

/**
 * Each run gets a freshly started server on the same store (the model trained by the first
 * start is kept there and loaded by the next ones), so no run inherits the previous one's
 * scoring backlog.
 */
async function runProfile(name) {
  const dir = mkdtempSync(join(tmpdir(), 'cx-bench-server-'));
  const store = join(dir, 'cx.sqlite');
  const rows = [];
  let startup = 0;
  let scoredPerSec = 0;
  let stageCost = null;
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let child = startServer(port, store, name);
    startup = await waitReady(base, 180_000);
    console.log(`[${name}] model trained and ready after ${startup.toFixed(1)} s`);
    await stopServer(child);
    for (const endpoint of PROFILES[name].endpoints) {
      for (const batch of endpoint === 'score-worst' ? [100] : BATCHES) {
        child = startServer(port, store, name);
        try {
          await waitReady(base, 60_000);
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
            connections: CONNECTIONS,
            duration: DURATION,
            timeout: 60,
          });
          const ok = res.requests.total - res.non2xx - res.errors;
          const row = {
            endpoint: endpoint === 'interactions' ? '/ingest (interactions)' : endpoint === 'score-worst' ? '/score (abnormal values)' : `/${endpoint}`,
            anomalies,
            batch,
            requests: res.requests.total,
            recordsPerSec: Math.round((ok * batch) / res.duration),
            p50: res.latency.p50,
            p99: res.latency.p99,
            non2xx: res.non2xx,
            errors: res.errors,
          };
          rows.push(row);
          console.log(`[${name}] ${row.endpoint} batch ${batch}: ${row.recordsPerSec} records/s, p50 ${row.p50} ms, p99 ${row.p99} ms (${row.requests} requests, ${row.non2xx} non-2xx, ${row.errors} errors)`);
          if (endpoint === 'ingest' && batch === BATCHES[BATCHES.length - 1]) {
            // Streaming scoring rate: how fast the backlog of ingested records is scored.
            const a = await health(base);
            const ta = Date.now();
            await new Promise((r) => setTimeout(r, Math.max(3, DURATION) * 1000));
            const b = await health(base);
            scoredPerSec = ((b.store.scoredThrough - a.store.scoredThrough) / (Date.now() - ta)) * 1000;
            console.log(`[${name}] streaming scoring: ${scoredPerSec.toFixed(0)} records/s (backlog ${b.store.scoringBacklog})`);
            const st = await stages(base);
            stageCost = {
              write: (st.write / st.ingested) * 1e6,
              score: (st.score / st.scored) * 1e6,
              results: (st.results / st.scored) * 1e6,
              broadcast: (st.broadcast / st.scored) * 1e6,
              ingested: st.ingested,
              scored: st.scored,
            };
            console.log(`[${name}] per record: write ${stageCost.write.toFixed(1)} us, score ${stageCost.score.toFixed(1)} us, results ${stageCost.results.toFixed(1)} us, broadcast ${stageCost.broadcast.toFixed(1)} us`);
          }
          if (isIx) {
            // The store is shared by the runs of a profile: this run's share is the difference.
            const h = await health(base);
            row.rollup = `${(h.rollup.interactions - before.rollup.interactions).toLocaleString('en-US')} interactions stored, ${(h.store.records - before.store.records).toLocaleString('en-US')} intervals closed (stored, then scored)`;
          }
        } finally {
          await stopServer(child);
        }
      }
    }
    return { rows, startup, scoredPerSec, stageCost };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const loadBefore = loadavg()[0];
const results = {};
for (const p of wanted) results[p] = await runProfile(p);
const loadAfter = loadavg()[0];

const lines = [
  '# Ingest server benchmark',
  '',
  `Measured by \`npm run bench:server\` (scripts/bench-server.mjs) on ${new Date().toISOString().slice(0, 10)}: autocannon on loopback,`,
  `${DURATION} s per run, ${CONNECTIONS} connections, JSON bodies of interval records (4 queues; /score: the same body each request; /ingest: later`,
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
  'so its rate is the "streaming scoring" line. `/score` scores in the request (batch scoring, nothing stored).',
  '"records/s" counts acknowledged (2xx) records only. The `/ingest` "non-2xx" are 503s of the back-pressure rule (more than',
  '200,000 records waiting to be scored): in sustained use ingestion cannot outrun the streaming scoring line, whatever the',
  'acknowledged rate of a 5 s burst.',
  '',
];
for (const [p, r] of Object.entries(results)) {
  lines.push(`## Profile \`${p}\`: ${PROFILES[p].note}`, '', `First start (default model trained on 7 days of generated data): ready after ${r.startup.toFixed(1)} s.`, '');
  lines.push('| endpoint | batch | records/s | p50 ms | p99 ms | requests | non-2xx | anomalies in the body |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of r.rows) {
    const an = row.anomalies === null || row.anomalies === undefined ? '' : `${(row.anomalies * 100).toFixed(0)}%`;
    lines.push(`| ${row.endpoint} | ${row.batch} | ${row.recordsPerSec.toLocaleString('en-US')} | ${row.p50} | ${row.p99} | ${row.requests} | ${row.non2xx + row.errors} | ${an} |`);
  }
  if (PROFILES[p].endpoints.includes('ingest')) lines.push('', `Streaming scoring (stream worker draining the ingest backlog): ${Math.round(r.scoredPerSec).toLocaleString('en-US')} records/s.`);
  const c = r.stageCost;
  if (c) {
    lines.push(
      '',
      `Where the time goes (GET /metrics \`cx_stage_seconds_total\` after the /ingest batch-1000 run: ${c.ingested.toLocaleString('en-US')} records written, ${c.scored.toLocaleString('en-US')} scored), per record:`,
      `write (SQLite transaction, main thread) ${c.write.toFixed(1)} µs; score (stream worker, wall time of its calls) ${c.score.toFixed(1)} µs;`,
      `results (SQLite update, main thread) ${c.results.toFixed(1)} µs; broadcast (SSE events built and written) ${c.broadcast.toFixed(1)} µs.`,
    );
  }
  for (const row of r.rows) if (row.rollup) lines.push('', `Interactions at batch ${row.batch}: ${row.rollup}.`);
  lines.push('');
}
mkdirSync(join(root, 'docs/results'), { recursive: true });
writeFileSync(join(root, 'docs/results/server-bench.md'), lines.join('\n'));
console.log('wrote docs/results/server-bench.md');
