// Benchmark of the ingest server: autocannon on loopback against the built server
// (packages/demo-server/dist/main.js; run `npm run build` first), bounded in time.
//
//   npm run bench:server                       # both model profiles, 5 s per run
//   BENCH_DURATION=10 BENCH_CONNECTIONS=8 npm run bench:server
//   npm run bench:server -- --profile default  # one profile only
//
// For /score and /ingest at batch sizes 1, 100, 1000: records/s (requests/s x batch),
// p50/p99 latency. /ingest is acknowledged once records are durably written; scoring
// (streaming update) follows in the background, so the streaming scoring rate is
// measured separately (scored records per second while the ingest backlog drains).
// Profiles: `default` = the shipped model (100 trees x 256 points); `light` = 10 trees x
// 64 points, which shows the server's own cost (HTTP, validation, SQLite) under a cheap model.
// Writes docs/results/server-bench.md.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bundle = join(root, 'packages/demo-server/dist/main.js');
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
const BATCHES = [1, 100, 1000];
const profileArg = process.argv.indexOf('--profile');
const PROFILES = {
  default: { CX_NUM_TREES: '100', CX_SAMPLE_SIZE: '256' },
  light: { CX_NUM_TREES: '10', CX_SAMPLE_SIZE: '64' },
};
const wanted = profileArg !== -1 ? [process.argv[profileArg + 1]] : Object.keys(PROFILES);
for (const p of wanted) if (!PROFILES[p]) throw new Error(`unknown profile ${p}; known: ${Object.keys(PROFILES).join(', ')}`);
if (!existsSync(bundle)) {
  console.error(`bench-server: ${bundle} not found: run npm run build first`);
  process.exit(1);
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

/** Deterministic interval records, 4 queues, 15-minute slots. */
function records(n, offset) {
  const queues = ['billing', 'tech_support', 'sales', 'retention'];
  return Array.from({ length: n }, (_, k) => {
    const i = offset + k;
    return {
      timestamp: new Date(Date.UTC(2026, 1, 2) + Math.floor(i / 4) * 900_000).toISOString(),
      queue: queues[i % 4],
      volume: 20 + ((i * 7) % 30),
      aht_avg: 300 + ((i * 37) % 120),
      transfer_rate: 0.05 + ((i * 13) % 10) / 100,
      csat_avg: i % 3 === 0 ? null : 3.8 + ((i * 11) % 10) / 10,
      csat_responses: i % 3 === 0 ? 0 : 2,
    };
  });
}

async function health(base) {
  return (await fetch(`${base}/health`)).json();
}

function cannon(opts) {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

async function runProfile(name) {
  const dir = mkdtempSync(join(tmpdir(), 'cx-bench-server-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [bundle], {
    env: {
      ...process.env,
      PORT: String(port),
      CX_STORE: join(dir, 'cx.sqlite'),
      CX_REPLAY: 'off',
      CX_RATE_LIMIT: '0',
      CX_LOG_LEVEL: 'warn',
      CX_BODY_LIMIT: String(8 * 1024 * 1024),
      CX_GENERATE_DAYS: '7',
      ...PROFILES[name],
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const rows = [];
  try {
    const t0 = Date.now();
    for (;;) {
      try {
        if ((await health(base)).model.ready) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() - t0 > 180_000) throw new Error('server did not get ready in 180 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    const startup = (Date.now() - t0) / 1000;
    console.log(`[${name}] model ready after ${startup.toFixed(1)} s`);
    for (const endpoint of ['score', 'ingest']) {
      for (const batch of BATCHES) {
        const body = JSON.stringify(records(batch, batch * 7));
        const res = await cannon({
          url: `${base}/${endpoint}`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          connections: batch === 1 ? CONNECTIONS : Math.min(CONNECTIONS, 4),
          duration: DURATION,
          timeout: 60,
        });
        const ok = res.requests.total - res.non2xx - res.errors;
        const row = {
          profile: name,
          endpoint: `/${endpoint}`,
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
      }
    }
    // Streaming scoring rate: how fast the backlog of ingested records is scored.
    const a = await health(base);
    const ta = Date.now();
    await new Promise((r) => setTimeout(r, Math.max(3, DURATION) * 1000));
    const b = await health(base);
    const scoredPerSec = ((b.store.scoredThrough - a.store.scoredThrough) / (Date.now() - ta)) * 1000;
    console.log(`[${name}] streaming scoring: ${scoredPerSec.toFixed(0)} records/s (backlog ${b.store.scoringBacklog})`);
    return { rows, startup, scoredPerSec, backlog: b.store.scoringBacklog };
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = {};
for (const p of wanted) results[p] = await runProfile(p);

const lines = [
  '# Ingest server benchmark',
  '',
  `Measured by \`npm run bench:server\` (scripts/bench-server.mjs) on ${new Date().toISOString().slice(0, 10)}: autocannon on loopback,`,
  `${DURATION} s per run, ${CONNECTIONS} connections (at most 4 for batches > 1), JSON bodies of interval records (4 queues).`,
  `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}; shared and noisy (other jobs running), so treat figures as +/- 30 %.`,
  'Server: the built bundle, replay off, rate limit off, SQLite WAL with synchronous=FULL (one fsync per request).',
  '',
  '`/ingest` is answered once the batch is durably written; scoring (streaming update) runs after the answer,',
  'so its rate is the "streaming scoring" line. `/score` scores in the request (batch scoring, nothing stored).',
  '',
];
for (const [p, r] of Object.entries(results)) {
  const prof = PROFILES[p];
  lines.push(`## Profile \`${p}\`: ${prof.CX_NUM_TREES} trees x ${prof.CX_SAMPLE_SIZE} points (model ready ${r.startup.toFixed(1)} s after start, 7 days of generated data)`, '');
  lines.push('| endpoint | batch | records/s | p50 ms | p99 ms | requests | non-2xx |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of r.rows) lines.push(`| ${row.endpoint} | ${row.batch} | ${row.recordsPerSec.toLocaleString('en-US')} | ${row.p50} | ${row.p99} | ${row.requests} | ${row.non2xx + row.errors} |`);
  lines.push('', `Streaming scoring (ingest backlog draining): ${Math.round(r.scoredPerSec).toLocaleString('en-US')} records/s.`, '');
}
mkdirSync(join(root, 'docs/results'), { recursive: true });
writeFileSync(join(root, 'docs/results/server-bench.md'), lines.join('\n'));
console.log('wrote docs/results/server-bench.md');
