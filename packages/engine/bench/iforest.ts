/**
 * Isolation Forest fit and batch-score throughput, side by side in one run:
 * ours, the npm package `isolation-forest` (0.0.9), and scikit-learn's
 * IsolationForest through /usr/bin/python3 (skipped, and said so, when sklearn
 * does not import). 100 trees, 256 samples per tree, one thread, the same data.
 * Wall and CPU time are both recorded: on a shared machine the CPU-time ratio
 * is the steadier one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOddsCsv } from '../src/eval/odds-csv.ts';
import { parseSklearnReference } from '../src/eval/odds.ts';
import { IsolationForest } from '../src/iforest/index.ts';
import { matrixFrom, type Matrix } from '../src/matrix.ts';
import { Prng } from '../src/random/prng.ts';
import { fmtMs, fmtRate, timeMedian, type BenchContext, type BenchSection, type Timed } from './harness.ts';

interface NpmIsolationForest {
  fit(X: Record<string, number>[]): unknown;
  predict(X: Record<string, number>[]): number[];
}
const require = createRequire(import.meta.url);

interface PeerTiming {
  readonly fit: Timed | null;
  readonly score: Timed | null;
  readonly note?: string;
  readonly version?: string;
}

/** 100k x 8: a standard normal cloud with 1% of points shifted far out. */
export function syntheticData(rows = 100_000, cols = 8, seed = 42): Matrix {
  const p = new Prng(seed);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const shift = p.next() < 0.01 ? 6 : 0;
    for (let j = 0; j < cols; j++) data[i * cols + j] = p.normal() + shift;
  }
  return matrixFrom(data, rows, cols);
}

function ours(X: Matrix, runs: number): PeerTiming & { fitThreshold: Timed } {
  let seed = 0;
  const fit = timeMedian(runs, () => new IsolationForest({ seed: seed++, contamination: 'auto' }).fit(X));
  const fitThreshold = timeMedian(runs, () => new IsolationForest({ seed: seed++, contamination: 0.01 }).fit(X));
  const model = new IsolationForest({ seed: 1, contamination: 'auto' }).fit(X);
  const out = new Float64Array(X.rows);
  const score = timeMedian(runs, () => model.scoreSamples(X, out));
  return { fit, score, fitThreshold };
}

function npmPeer(X: Matrix, runs: number, log: (s: string) => void): PeerTiming {
  const { IsolationForest: NpmIF } = require('isolation-forest') as { IsolationForest: new (trees: number, samples: number) => NpmIsolationForest };
  // Its API takes an array of objects; build it outside the timings.
  const objs = Array.from({ length: X.rows }, (_, i) => {
    const o: Record<string, number> = {};
    for (let j = 0; j < X.cols; j++) o[`f${j}`] = X.data[i * X.cols + j]!;
    return o;
  });
  // One fit only: 0.0.9 grows every tree on all rows (see footnote), ~20 s on shuttle.
  log('  npm isolation-forest: fit (1 run, slow)...');
  const model = new NpmIF(100, 256);
  const fit = timeMedian(1, () => model.fit(objs), 0);
  log('  npm isolation-forest: score...');
  const score = timeMedian(runs, () => model.predict(objs), 1);
  return { fit, score };
}

function sklearnPeer(X: Matrix, runs: number, log: (s: string) => void): PeerTiming {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import sklearn'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = (probe.stderr || probe.error?.message || '').trim().split('\n').pop();
    return { fit: null, score: null, note: `scikit-learn column skipped: \`/usr/bin/python3 -c 'import sklearn'\` failed (${why})` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'cx-bench-'));
  try {
    const csv = join(dir, 'x.csv');
    const lines: string[] = new Array(X.rows);
    for (let i = 0; i < X.rows; i++) lines[i] = Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols)).join(',');
    writeFileSync(csv, lines.join('\n') + '\n');
    log('  scikit-learn: fit + score...');
    const script = fileURLToPath(new URL('./sklearn_iforest.py', import.meta.url));
    const r = spawnSync('/usr/bin/python3', [script, csv, String(runs)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } });
    if (r.status !== 0) return { fit: null, score: null, note: `scikit-learn run failed: ${r.stderr.trim().split('\n').pop()}` };
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { version: string; fit_ms: number; score_ms: number; fit_cpu_ms: number; score_cpu_ms: number };
    return { fit: { wallMs: j.fit_ms, cpuMs: j.fit_cpu_ms }, score: { wallMs: j.score_ms, cpuMs: j.score_cpu_ms }, version: j.version };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchIsolationForest(ctx: BenchContext): Promise<BenchSection> {
  const datasets: { name: string; X: Matrix }[] = [];
  try {
    datasets.push({ name: 'shuttle (ODDS)', X: parseOddsCsv(readFileSync(join(ctx.dataDir, 'odds/shuttle.csv'), 'utf8'), 'shuttle.csv').X });
  } catch (e) {
    ctx.log(`  shuttle not available (${(e as Error).message}); synthetic data only`);
  }
  datasets.push({ name: 'synthetic normal + 1% shifted', X: syntheticData() });
  const skipNpm = ctx.args.includes('--skip-npm');

  const rows: string[] = [];
  const notes = new Set<string>();
  let sklearnVersion = '';
  for (const { name, X } of datasets) {
    ctx.log(`${name}: ${X.rows} x ${X.cols}`);
    ctx.log('  ours...');
    const o = ours(X, ctx.runs);
    const n: PeerTiming = skipNpm ? { fit: null, score: null } : npmPeer(X, ctx.runs, ctx.log);
    const s = sklearnPeer(X, ctx.runs, ctx.log);
    if (s.version) sklearnVersion = s.version;
    if (s.note) notes.add(s.note);
    const rate = (t: Timed | null): string => (t === null ? '-' : `${fmtRate((X.rows * 1000) / t.wallMs)}/s`);
    const ms = (t: Timed | null, mark = ''): string => (t === null ? '-' : `${fmtMs(t.wallMs)}${mark}`);
    const ratio = (a: Timed | null, b: Timed | null): string =>
      a === null || b === null ? '-' : `${(b.wallMs / a.wallMs).toFixed(1)}x / ${(b.cpuMs / a.cpuMs).toFixed(1)}x`;
    const shape = `${X.rows} x ${X.cols}`;
    rows.push(`| ${name} | ${shape} | score | ${rate(o.score)} | ${rate(n.score)} | ${rate(s.score)} | ${ratio(o.score, n.score)} | ${ratio(o.score, s.score)} |`);
    rows.push(`| ${name} | ${shape} | fit (trees) | ${ms(o.fit)} | ${ms(n.fit, ' ¹')} | ${ms(s.fit)} | ${ratio(o.fit, n.fit)} | ${ratio(o.fit, s.fit)} |`);
    rows.push(`| ${name} | ${shape} | fit + threshold ² | ${ms(o.fitThreshold)} | - | - | - | - |`);
  }

  // The reference file was measured on an idle machine of this kind: a yardstick when this run's machine is busy.
  let referenceNote = '';
  try {
    const ref = parseSklearnReference(readFileSync(join(ctx.dataDir, 'reference/sklearn_iforest_odds.csv'), 'utf8')).get('shuttle');
    if (ref) {
      referenceNote = `- For scale: \`reference/sklearn_iforest_odds.csv\` (sklearn 1.2.1, measured on a machine of this kind) has shuttle at ${fmtRate(49097 / ref.scoreSeconds)}/s scoring and ${fmtMs(ref.fitSeconds * 1000)} fit.`;
    }
  } catch {
    // no reference file: no note
  }
  const markdown = [
    `100 trees, 256 samples per tree, one thread, the same data for every implementation. Score = batch scoring of all rows (points/s, wall); fit = growing the forest (wall time). Medians of ${ctx.runs} runs after warm-up runs (3 for ours, 1 for the peers), except where noted. Ratio = peer time / our time, by wall time / by CPU time (higher = ours faster; CPU time is the steadier figure on a shared machine).`,
    '',
    `| data | rows x cols | what | ours | npm isolation-forest 0.0.9 | scikit-learn${sklearnVersion ? ` ${sklearnVersion}` : ''} | ours vs npm | ours vs sklearn |`,
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    ...(skipNpm ? ['- npm `isolation-forest` column skipped (--skip-npm).'] : []),
    '¹ One run: `isolation-forest` 0.0.9 grows every tree on all rows (its `fit` draws a sub-sample and then passes the full data to `ITree`), so its fit grows with the data; its scoring is what a user of the package gets.',
    '² Ours with a numeric `contamination` (0.01): `fit` also scores the training rows once to set `threshold` (sklearn does the same with a numeric contamination; the sklearn column uses `contamination="auto"`, trees only, like our "fit (trees)" row).',
    ...[...notes].map((x) => `- ${x}`),
    ...(referenceNote ? [referenceNote] : []),
  ].join('\n');
  return { title: 'Isolation Forest: fit and batch scoring', markdown };
}
