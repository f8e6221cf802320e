import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RandomCutForest, Shingler, createDiVector, diVectorTotal, detLn, detLog2, detExp2, type RcfState } from '../src/rcf/index.ts';
import { Prng } from '../src/random/prng.ts';
import { matrixFrom } from '../src/matrix.ts';
import { rocAuc } from '../src/metrics/index.ts';
import { parseOddsCsv } from '../src/eval/odds-csv.ts';
import { decodeModel, encodeModel } from '../src/model/format.ts';
import { StreamPrng } from '../src/rcf/stream-prng.ts';
import { PointStore } from '../src/rcf/point-store.ts';

const EMPTY = 0x7fffffff;

/** A 3-metric CX-like stream (AHT-ish, volume-ish, rate-ish), shingled by 4 -> 12 dims. */
function stream(n: number, seed: number, shingle = 4): Float64Array[] {
  const r = new Prng(seed);
  const sh = new Shingler(3, shingle);
  const out: Float64Array[] = [];
  const v = new Float64Array(3);
  for (let i = 0; i < n + shingle - 1; i++) {
    v[0] = 10 + 2 * Math.sin(i / 15) + r.normal() * 0.3;
    v[1] = 5 + r.normal() * 0.5;
    v[2] = 3 + r.normal() * 0.2;
    if (sh.push(v)) out.push(sh.point.slice());
  }
  return out;
}

/**
 * Structural invariants of every tree, read from the saved arrays: masses add
 * up, boxes are the union of children, parent links agree, free lists and
 * used slots partition the slots, point references are counted.
 */
function checkInvariants(f: RandomCutForest): void {
  const s = f.toState();
  const a = s.arrays as unknown as Record<string, Float64Array>;
  const { dims, numTrees: T, sampleSize: S } = { dims: s.params.dimensions, numTrees: s.params.numTrees, sampleSize: s.params.sampleSize };
  const ci = S - 1;
  const refs = new Int32Array(a.pointRefCount.length);
  const rsum = (f as unknown as { nodes: { rsum: Float64Array } }).nodes.rsum;
  for (let t = 0; t < T; t++) {
    const usedI = new Set<number>();
    const usedL = new Set<number>();
    const box = (r: number): { mn: number[]; mx: number[]; mass: number } => {
      if (r < 0) {
        const l = ~r;
        assert.ok(l >= t * S && l < (t + 1) * S, `leaf ${l} outside tree ${t}`);
        usedL.add(l);
        const p = a.leafPoint[l]!;
        refs[p]!++;
        const v = Array.from(a.pointValues.subarray(p * dims, (p + 1) * dims));
        return { mn: v, mx: v, mass: a.leafMass[l]! };
      }
      assert.ok(r >= t * ci && r < (t + 1) * ci, `node ${r} outside tree ${t}`);
      usedI.add(r);
      const L = a.left[r]!;
      const R = a.right[r]!;
      assert.equal(L < 0 ? a.leafParent[~L] : a.parent[L], r, 'left child parent link');
      assert.equal(R < 0 ? a.leafParent[~R] : a.parent[R], r, 'right child parent link');
      const bl = box(L);
      const br = box(R);
      const d = a.cutDim[r]!;
      assert.ok(bl.mx[d]! <= a.cutValue[r]! && br.mn[d]! > a.cutValue[r]!, 'cut separates children');
      const mn = bl.mn.map((x, k) => Math.min(x, br.mn[k]!));
      const mx = bl.mx.map((x, k) => Math.max(x, br.mx[k]!));
      for (let k = 0; k < dims; k++) {
        assert.equal(a.boxMin[r * dims + k], mn[k], `boxMin node ${r} dim ${k}`);
        assert.equal(a.boxMax[r * dims + k], mx[k], `boxMax node ${r} dim ${k}`);
      }
      assert.equal(a.mass[r], bl.mass + br.mass, `mass of node ${r}`);
      // The live side-length sum (not saved: recomputed on load) is exactly the box's, summed in dimension order.
      let sides = 0;
      for (let k = 0; k < dims; k++) sides += mx[k]! - mn[k]!;
      assert.equal(rsum[r], sides, `rsum of node ${r}`);
      return { mn, mx, mass: bl.mass + br.mass };
    };
    const root = a.root[t]!;
    if (root !== EMPTY) box(root);
    assert.equal(usedI.size + a.freeInternalCount[t]!, ci, `tree ${t}: internal slots used + free`);
    assert.equal(usedL.size + a.freeLeafCount[t]!, S, `tree ${t}: leaf slots used + free`);
    for (let k = 0; k < a.freeInternalCount[t]!; k++) assert.ok(!usedI.has(a.freeInternal[t * ci + k]!), 'free internal slot in use');
    for (let k = 0; k < a.freeLeafCount[t]!; k++) assert.ok(!usedL.has(a.freeLeaf[t * S + k]!), 'free leaf slot in use');
  }
  if (a.ring) for (let k = 0; k < s.params.ringCount; k++) refs[a.ring[(s.params.ringStart + k) % S]!]!++;
  if (a.heapPoint) for (let t = 0; t < T; t++) for (let k = 0; k < a.heapCount[t]!; k++) refs[a.heapPoint[t * S + k]!]!++;
  assert.deepEqual(Array.from(refs), Array.from(a.pointRefCount), 'point reference counts');
}

test('cross-engine determinism: src/rcf uses no libm functions or Math.random (only IEEE-exact arithmetic)', () => {
  // Math.log/exp/pow/sin... may differ in the last bit between JS engines; det-math.ts replaces them.
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../src/rcf');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  assert.ok(files.includes('kernel/walk-kernel.ts'), 'the kernel folder is checked too');
  for (const f of files) {
    const src = readFileSync(resolve(dir, f), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    const bad = src.match(/Math\.(random|log\w*|exp\w*|pow|sin|cos|tan|atan\w*|hypot|cbrt|sinh|cosh|tanh)\b/g);
    assert.equal(bad, null, `${f} uses ${bad?.join(', ')}`);
  }
});

test('det-math: ln, log2, exp2 agree with Math to ~1e-15', () => {
  for (const x of [1e-300, 1e-10, 0.3, 0.5, 1, 1.5, 2, 3, 10, 257, 1e10, 1e300]) {
    assert.ok(Math.abs(detLn(x) - Math.log(x)) <= 1e-15 * Math.max(1, Math.abs(Math.log(x))), `ln ${x}`);
    assert.ok(Math.abs(detLog2(x) - Math.log2(x)) <= 2e-15 * Math.max(1, Math.abs(Math.log2(x))), `log2 ${x}`);
  }
  for (const y of [-50, -3.3, -1, -0.5, 0, 0.25, 7]) assert.ok(Math.abs(detExp2(y) / 2 ** y - 1) < 1e-14, `exp2 ${y}`);
  assert.equal(detLn(0), -Infinity);
});

test('attribution sums to the score (window and decay, new points, duplicates, spikes)', () => {
  for (const sampling of ['window', 'decay'] as const) {
    const pts = stream(600, 11);
    const f = new RandomCutForest({ dimensions: 12, numTrees: 30, sampleSize: 64, sampling, seed: 5 });
    const dv = createDiVector(12);
    for (let i = 0; i < pts.length; i++) {
      const s = f.updateWithDetails(pts[i]!, dv);
      const total = diVectorTotal(dv);
      assert.ok(Math.abs(total - s) <= 1e-9 * Math.max(1e-12, Math.abs(s)), `${sampling} point ${i}: attribution ${total} vs score ${s}`);
    }
    // A point the forest holds (duplicate) and a far outlier.
    const held = pts[pts.length - 1]!;
    const far = held.slice();
    far[4] += 50;
    for (const q of [held, far]) {
      const s = f.score(q);
      const a = f.attribution(q);
      assert.ok(Math.abs(diVectorTotal(a) - s) <= 1e-9 * s, `${sampling}: sum ${diVectorTotal(a)} vs ${s}`);
    }
  }
});

test('lazily scaled DiVector: a point far beyond every box (scale folded back near underflow) still splits its score exactly', () => {
  // Each level multiplies the tree's parts by (1 - p); the walk keeps that product as one
  // factor (attribution.ts) and folds it into the parts below 1e-150. A point 1e120 away on
  // two dimensions makes (1 - p) ~ 1e-120 per level, so the fold is taken in every tree.
  for (const sampling of ['window', 'decay'] as const) {
    const pts = stream(400, 12);
    const f = new RandomCutForest({ dimensions: 12, numTrees: 20, sampleSize: 64, sampling, seed: 9 });
    for (const p of pts) f.update(p);
    const far = pts[pts.length - 1]!.slice();
    far[0] = 1e120;
    far[7] = -1e120;
    const s = f.score(far);
    const a = f.attribution(far);
    const dv = createDiVector(12);
    const s2 = f.updateWithDetails(far, dv);
    for (const [name, v, score] of [['attribution', a, s], ['updateWithDetails', dv, s2]] as const) {
      for (let d = 0; d < 12; d++) assert.ok(Number.isFinite(v.high[d]!) && Number.isFinite(v.low[d]!), `${sampling} ${name}: dim ${d} not finite`);
      assert.ok(Math.abs(diVectorTotal(v) - score) <= 1e-9 * score, `${sampling} ${name}: sum ${diVectorTotal(v)} vs ${score}`);
      // Almost all of it on the two far dimensions, in their directions.
      const share = (v.high[0]! + v.low[7]!) / diVectorTotal(v);
      assert.ok(share > 0.99, `${sampling} ${name}: share on dims 0 (high) and 7 (low) is ${share}`);
    }
  }
});

test('update and updateWithDetails agree; before the window fills, update returns score-before-insert exactly', () => {
  for (const sampling of ['window', 'decay'] as const) {
    const pts = stream(300, 2);
    const opts = { dimensions: 12, numTrees: 20, sampleSize: 32, sampling, seed: 9, outputAfter: 1 };
    const a = new RandomCutForest(opts);
    const b = new RandomCutForest(opts);
    const dv = createDiVector(12);
    for (let i = 0; i < pts.length; i++) {
      const p = pts[i]!;
      const pre = a.score(p);
      const preAttr = b.attribution(p);
      const sa = a.update(p);
      const sb = b.updateWithDetails(p, dv);
      // Until a tree is full nothing is forgotten: the fused walk scores and
      // attributes the tree exactly as the read-only score()/attribution() do.
      if (i < 32) {
        assert.equal(sa, pre, `${sampling} point ${i}`);
        assert.deepEqual(Array.from(dv.high), Array.from(preAttr.high), `${sampling} point ${i}: high`);
        assert.deepEqual(Array.from(dv.low), Array.from(preAttr.low), `${sampling} point ${i}: low`);
      }
      assert.ok(Math.abs(sa - sb) <= 1e-12 * Math.max(1, sa), `${sampling} point ${i}: ${sa} vs ${sb}`);
    }
  }
});

test('a spike in one metric is attributed to that dimension and direction; expected value is near normal', () => {
  const pts = stream(800, 3);
  const f = new RandomCutForest({ dimensions: 12, numTrees: 50, sampleSize: 128, seed: 1 });
  for (const p of pts) f.update(p);
  const last = pts[pts.length - 1]!;
  const sh = new Shingler(3, 4);
  const newestVolume = sh.dimOf(1, 0); // metric 1 (volume ~ 5 +- 0.5), newest entry
  for (const dir of [+1, -1]) {
    const q = last.slice();
    q[newestVolume] = 5 + dir * 6;
    const s = f.score(q);
    assert.ok(s > 1.5 * f.score(last), `spike scores higher: ${s} vs ${f.score(last)}`);
    const a = f.attribution(q);
    let best = -1;
    let bestV = -1;
    for (let d = 0; d < 12; d++) {
      const v = a.high[d]! + a.low[d]!;
      if (v > bestV) {
        bestV = v;
        best = d;
      }
    }
    assert.equal(best, newestVolume, 'largest attribution on the spiked dimension');
    assert.ok(bestV > 0.5 * s, `spiked dimension explains most of the score (${bestV} of ${s})`);
    const [main, other] = dir > 0 ? [a.high, a.low] : [a.low, a.high];
    assert.ok(main[newestVolume]! > 10 * other[newestVolume]!, `direction ${dir > 0 ? 'high' : 'low'}`);
    const perMetric = sh.sumPerMetric(dir > 0 ? a.high : a.low);
    assert.ok(perMetric[1]! > perMetric[0]! && perMetric[1]! > perMetric[2]!, 'per-metric sum points at volume');
    // Expected value of the newest entry of each metric: volume back near 5.
    const e = f.expectedPoint(q, sh.newestDims());
    assert.ok(Math.abs(e[newestVolume]! - 5) < 1.5, `expected volume ${e[newestVolume]} near 5`);
    const e1 = f.expectedPoint(q); // default: the most attributed coordinate
    assert.ok(Math.abs(e1[newestVolume]! - 5) < 1.5, `default expected volume ${e1[newestVolume]}`);
    for (let d = 0; d < 12; d++) if (d !== newestVolume) assert.equal(e1[d], q[d], 'other coordinates unchanged');
  }
});

test('seeded determinism: same seed and stream give bit-identical scores; another seed differs', () => {
  for (const sampling of ['window', 'decay'] as const) {
    const pts = stream(500, 4);
    const run = (seed: number): number[] => {
      const f = new RandomCutForest({ dimensions: 12, numTrees: 20, sampleSize: 64, sampling, seed });
      return pts.map((p) => f.update(p));
    };
    const a = run(42);
    const b = run(42);
    const c = run(43);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  }
});

function roundTrip(state: RcfState): RcfState {
  // Params through JSON, arrays through fresh buffers (as a model file would).
  const params = JSON.parse(JSON.stringify(state.params));
  const arrays: RcfState['arrays'] = {};
  for (const [k, v] of Object.entries(state.arrays)) {
    const C = v.constructor as new (b: ArrayBuffer) => typeof v;
    arrays[k] = new C(v.slice().buffer as ArrayBuffer);
  }
  return { params, arrays };
}

test('stop, save, restore, resume gives exactly the scores of an uninterrupted stream', () => {
  for (const sampling of ['window', 'decay'] as const) {
    const pts = stream(900, 8);
    const opts = { dimensions: 12, numTrees: 25, sampleSize: 64, sampling, seed: 77 } as const;
    const full = new RandomCutForest(opts);
    const ref = pts.map((p) => full.update(p));
    const first = new RandomCutForest(opts);
    const got: number[] = [];
    for (let i = 0; i < 400; i++) got.push(first.update(pts[i]!));
    const state = roundTrip(first.toState());
    // keep using the original after saving: the saved state must not change
    first.update(pts[400]!);
    const resumed = RandomCutForest.fromState(state);
    for (let i = 400; i < pts.length; i++) got.push(resumed.update(pts[i]!));
    assert.deepEqual(got, ref, `${sampling}: resumed scores`);
    checkInvariants(resumed);
    // The same state restores twice to the same forest.
    const again = RandomCutForest.fromState(state);
    assert.equal(again.update(pts[400]!), ref[400]);
    // Through the model file format (encodeModel/decodeModel).
    const bytes = encodeModel({ detector: 'rcf', params: state.params, fieldSpec: null, created: '2026-01-01T00:00:00Z' }, state.arrays);
    const decoded = decodeModel(bytes);
    const fromFile = RandomCutForest.fromState({ params: decoded.header.params as unknown as RcfState['params'], arrays: decoded.arrays as RcfState['arrays'] });
    const tail: number[] = [];
    for (let i = 400; i < pts.length; i++) tail.push(fromFile.update(pts[i]!));
    assert.deepEqual(tail, ref.slice(400), `${sampling}: resumed from model bytes`);
  }
});

test('window sampling keeps exactly the last sampleSize points in every tree', () => {
  const pts = stream(500, 5);
  const S = 50;
  const f = new RandomCutForest({ dimensions: 12, numTrees: 10, sampleSize: S, seed: 2 });
  for (let i = 0; i < pts.length; i++) {
    f.update(pts[i]!);
    if (i % 97 === 0 || i === pts.length - 1) {
      const want = pts.slice(Math.max(0, i + 1 - S), i + 1).map((p) => Array.from(p));
      assert.deepEqual(f.windowPoints().map((p) => Array.from(p)), want);
      for (let t = 0; t < 10; t++) assert.equal(f.treeMass(t), Math.min(S, i + 1));
      checkInvariants(f);
    }
  }
  // Every held point is found in every tree: deleting them all empties the trees.
  assert.equal(f.storedPoints, S);
});

test('decay sampling: smallest weights kept, recency bias follows timeDecay, 0 = uniform reservoir', () => {
  const N = 3000;
  const S = 64;
  const meanAge = (timeDecay: number): number => {
    const f = new RandomCutForest({ dimensions: 1, numTrees: 20, sampleSize: S, sampling: 'decay', timeDecay, seed: 3 });
    for (let i = 0; i < N; i++) f.update([i]);
    let sum = 0;
    let cnt = 0;
    for (let t = 0; t < 20; t++) {
      const { points, weights } = f.treeSample(t);
      assert.equal(points.length, S);
      // max-heap: the root holds the largest kept weight
      for (let k = 1; k < weights.length; k++) assert.ok(weights[k]! <= weights[0]!);
      // the weights follow the rule: w = -timeDecay*s + ln(-ln u), so w + timeDecay*s = ln(-ln u) is a Gumbel-min sample
      for (const p of points) {
        sum += N - 1 - p[0]!;
        cnt++;
      }
      assert.equal(f.treeMass(t), S);
    }
    checkInvariants(f);
    return sum / cnt;
  };
  const uniform = meanAge(0);
  assert.ok(Math.abs(uniform - N / 2) < N * 0.08, `timeDecay 0: mean age ${uniform} ~ N/2`);
  const slow = meanAge(1 / 1000);
  const fast = meanAge(1 / 100);
  assert.ok(fast < slow && slow < uniform, `ages ${fast} < ${slow} < ${uniform}`);
  // The rule re-implemented independently: per tree keep the S smallest of
  // -timeDecay*s + ln(-ln u) over all N arrivals; compare the mean age.
  const reference = (timeDecay: number): number => {
    const r = new Prng(99);
    let sum = 0;
    for (let t = 0; t < 40; t++) {
      const w = Array.from({ length: N }, (_, s) => ({ s, w: -timeDecay * s + Math.log(-Math.log(r.next() || 0.5)) }));
      w.sort((a, b) => a.w - b.w);
      for (let k = 0; k < S; k++) sum += N - 1 - w[k]!.s;
    }
    return sum / (40 * S);
  };
  for (const [td, got] of [[1 / 100, fast], [1 / 1000, slow]] as const) {
    const want = reference(td);
    assert.ok(Math.abs(got - want) < 0.15 * want, `timeDecay ${td}: mean age ${got}, rule gives ${want}`);
  }
  // Per tree different samples.
  const f = new RandomCutForest({ dimensions: 1, numTrees: 2, sampleSize: 8, sampling: 'decay', timeDecay: 0.01, seed: 3 });
  for (let i = 0; i < 500; i++) f.update([i]);
  assert.notDeepEqual(f.treeSample(0).points.map((p) => p[0]).sort(), f.treeSample(1).points.map((p) => p[0]).sort());
});

test('free lists keep node and point counts bounded over 20k updates', () => {
  const S = 32;
  const T = 10;
  for (const sampling of ['window', 'decay'] as const) {
    const f = new RandomCutForest({ dimensions: 3, numTrees: T, sampleSize: S, sampling, seed: 4 });
    const r = new Prng(1);
    const before = f.memoryBytes();
    for (let i = 0; i < 20000; i++) {
      // rounded values make duplicates, exercising leaf masses
      f.update([Math.round(r.normal() * 3), Math.round(r.normal()), i % 7]);
      if (i % 5000 === 4999) {
        const use = f.nodesInUse();
        assert.ok(use.internal <= T * (S - 1) && use.leaves <= T * S);
        for (let t = 0; t < T; t++) assert.equal(f.treeMass(t), S);
      }
    }
    checkInvariants(f);
    assert.ok(f.storedPoints <= (sampling === 'window' ? 2 * S : T * S), `${sampling}: stored ${f.storedPoints}`);
    if (sampling === 'window') assert.equal(f.memoryBytes(), before, 'window mode never grows');
  }
});

test('bad input gives clear errors', () => {
  const f = new RandomCutForest({ dimensions: 3, numTrees: 5, sampleSize: 16 });
  assert.throws(() => f.update([1, 2]), /point has 2 values, expected 3/);
  assert.throws(() => f.update([1, NaN, 3]), /index 1 is NaN/);
  assert.throws(() => f.score([1, 2, Infinity]), /index 2 is Infinity/);
  assert.throws(() => f.expectedPoint([1, 2, 3], [5]), /dimension index 5/);
  assert.throws(() => new RandomCutForest({ dimensions: 0 }), /dimensions must be an integer/);
  assert.throws(() => new RandomCutForest({ dimensions: 2, sampleSize: 1 }), /sampleSize/);
  assert.throws(() => new RandomCutForest({ dimensions: 2, sampling: 'lru' as never }), /sampling must be 'window' or 'decay'/);
  assert.throws(() => new RandomCutForest({ dimensions: 2, timeDecay: -1 }), /timeDecay/);
  assert.throws(() => f.fit(matrixFrom(new Float64Array(4), 2, 2)), /2 columns, expected 3/);
  assert.throws(() => f.fit(matrixFrom(Float64Array.of(1, 2, NaN), 1, 3)), /row 0, column 2 is NaN/);
  const g = new RandomCutForest({ dimensions: 1, numTrees: 2, sampleSize: 4 }).fit(matrixFrom(Float64Array.of(1, 2, 3), 3, 1));
  assert.throws(() => g.update([1]), /built by fit\(\)/);
  assert.throws(() => RandomCutForest.fromState({ params: { ...f.toState().params }, arrays: {} }), /array "root"/);
  // Errors leave the forest usable.
  for (let i = 0; i < 40; i++) f.update([i % 5, 1, 2]);
  checkInvariants(f);
});

test('scores: zero before outputAfter, ~1 for ordinary points, larger for outliers; normalised form', () => {
  const pts = stream(400, 6);
  const f = new RandomCutForest({ dimensions: 12, numTrees: 40, sampleSize: 128, seed: 3, outputAfter: 10 });
  for (let i = 0; i < 10; i++) assert.equal(f.update(pts[i]!), 0);
  const later: number[] = [];
  for (let i = 10; i < pts.length; i++) later.push(f.update(pts[i]!));
  const tail = later.slice(-200);
  const mean = tail.reduce((a, b) => a + b, 0) / tail.length;
  assert.ok(mean > 0.5 && mean < 1.6, `mean score ${mean}`);
  const far = pts[0]!.map((x) => x + 20);
  assert.ok(f.score(far) > 2.5, `outlier ${f.score(far)}`);
  assert.equal(RandomCutForest.normalizeScore(1), 0.5);
  assert.ok(RandomCutForest.normalizeScore(f.score(far)) > 0.75);
});

function dataDir(): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  return process.env['CX_DATA_DIR'] ?? resolve(root, '../shared/data');
}

test('batch: fit + scoreSamples and rrcf CoDisp on ODDS wbc reach rrcf-level AUC', (t) => {
  const file = resolve(dataDir(), 'odds/wbc.csv');
  if (!existsSync(file)) {
    t.skip(`no benchmark data at ${file}`);
    return;
  }
  const { X, labels } = parseOddsCsv(readFileSync(file, 'utf8'), file);
  const f = new RandomCutForest({ dimensions: X.cols, numTrees: 50, sampleSize: 256, seed: 0 });
  f.fit(X);
  const s = f.scoreSamples(X);
  const c = f.codispSamples();
  assert.ok(c.every((v) => Number.isFinite(v)), 'every row covered');
  const aucScore = rocAuc(s, labels);
  const aucCodisp = rocAuc(c, labels);
  // rrcf (shared/data/reference/rrcf_batch_odds.csv): 0.92-0.93 on wbc.
  assert.ok(aucScore > 0.88, `AWS-score AUC ${aucScore}`);
  assert.ok(aucCodisp > 0.88, `CoDisp AUC ${aucCodisp}`);
  checkInvariants(f);
  // A fitted forest saves and restores to the same scores.
  const g = RandomCutForest.fromState(roundTrip(f.toState()));
  assert.deepEqual(Array.from(g.scoreSamples(X)), Array.from(s));
});

test('Shingler: layout, readiness, state', () => {
  const sh = new Shingler(2, 3);
  assert.equal(sh.push([1, 10]), false);
  sh.push([2, 20]);
  assert.equal(sh.push([3, 30]), true);
  assert.deepEqual(Array.from(sh.point), [1, 10, 2, 20, 3, 30]);
  sh.push([4, 40]);
  assert.deepEqual(Array.from(sh.point), [2, 20, 3, 30, 4, 40]);
  assert.deepEqual(Array.from(sh.newestDims()), [4, 5]);
  assert.equal(sh.dimOf(1, 2), 1);
  const back = Shingler.fromState(2, 3, sh.toState());
  assert.deepEqual(Array.from(back.point), Array.from(sh.point));
  assert.equal(back.ready, true);
  assert.throws(() => sh.push([1]), /got 1 values, expected 2/);
  assert.throws(() => sh.push([1, NaN]), /metric 1 is NaN/);
  assert.throws(() => Shingler.fromState(2, 3, [0, 1]), /expected 7/);
});

test('updateMany (tree by tree over chunks) equals update() point by point, scores, DiVectors and the state after', () => {
  // duplicates (exact repeats) and a spike, more rows than a chunk (1024 in decay mode,
  // sampleSize in window mode), crossing outputAfter
  const pts = stream(2600, 21);
  for (let i = 300; i < 320; i++) pts[i] = pts[299]!.slice();
  pts[500]![2] = pts[500]![2]! + 9;
  const flat = new Float64Array(pts.length * 12);
  pts.forEach((p, i) => flat.set(p, i * 12));
  const X = matrixFrom(flat, pts.length, 12);
  for (const [sampling, sampleSize] of [['window', 256], ['window', 20], ['decay', 256], ['decay', 32]] as const) {
    const opts = { dimensions: 12, numTrees: 7, sampleSize, sampling, seed: 9 } as const;
    const one = new RandomCutForest(opts);
    const dv = createDiVector(12);
    const seqScores: number[] = [];
    const seqHigh: number[] = [];
    for (let i = 0; i < pts.length; i++) {
      if (i % 3 === 0) {
        seqScores.push(one.updateWithDetails(pts[i]!, dv));
        seqHigh.push(...dv.high);
      } else seqScores.push(one.update(pts[i]!));
    }
    const many = new RandomCutForest(opts);
    const attr = { high: new Float64Array(pts.length * 12), low: new Float64Array(pts.length * 12) };
    // uneven batch sizes, so chunk boundaries fall in different places
    const cuts = [0, 1, 50, 51, 300, 333, 2600];
    const got = new Float64Array(pts.length);
    for (let c = 0; c + 1 < cuts.length; c++) {
      const [a, b] = [cuts[c]!, cuts[c + 1]!];
      const sub = { data: X.data.subarray(a * 12, b * 12), rows: b - a, cols: 12 };
      const part = { high: attr.high.subarray(a * 12, b * 12), low: attr.low.subarray(a * 12, b * 12) };
      got.set(many.updateMany(sub, undefined, part), a);
    }
    assert.deepEqual(Array.from(got), seqScores, `${sampling}/${sampleSize}: scores`);
    const manyHigh: number[] = [];
    for (let i = 0; i < pts.length; i += 3) manyHigh.push(...attr.high.subarray(i * 12, (i + 1) * 12));
    assert.deepEqual(manyHigh, seqHigh, `${sampling}/${sampleSize}: DiVectors`);
    // same forest afterwards: further updates and queries agree
    const probe = stream(40, 22);
    for (const p of probe) assert.equal(many.update(p), one.update(p), `${sampling}/${sampleSize}: after`);
    assert.deepEqual(Array.from(many.expectedPoint(probe[3]!, [0, 4])), Array.from(one.expectedPoint(probe[3]!, [0, 4])));
    checkInvariants(many);
  }
});

test('per-tree random streams: xoshiro128** jump() matches the reference algorithm; states of format 1 are refused', () => {
  // Expected words from a direct Python port of the reference C jump() (xoshiro128starstar.c),
  // started from new Prng(5)'s state [746935934, 1102698049, 1507035486, 1924212356].
  const s = new StreamPrng(5);
  assert.deepEqual(Array.from(s.getState()), [746935934, 1102698049, 1507035486, 1924212356]);
  s.jump();
  assert.deepEqual(Array.from(s.getState()), [3615132651, 3784915426, 984968538, 694881906]);
  assert.equal(s.nextUint32(), 4153827019);
  const p = StreamPrng.perTree(5, 3);
  assert.deepEqual(Array.from(p.streams[2]!.getState()), [89010744, 4284386901, 1081583960, 4011602454]);
  assert.deepEqual(Array.from(p.words.subarray(8, 12), (w) => w >>> 0), [89010744, 4284386901, 1081583960, 4011602454]);
  const f = new RandomCutForest({ dimensions: 12, numTrees: 3, sampleSize: 16 });
  for (const q of stream(30, 3)) f.update(q);
  const st = f.toState();
  const old = { params: { ...st.params, formatVersion: 1 }, arrays: st.arrays } as unknown as RcfState;
  assert.throws(() => RandomCutForest.fromState(old), /formatVersion 1 .*older engine.*retrain/);
  const noStreams = { params: st.params, arrays: { ...st.arrays, treePrng: new Uint32Array(4) } } as RcfState;
  assert.throws(() => RandomCutForest.fromState(noStreams), /treePrng must be a Uint32Array of 12 words/);
});

test('scoreWithAttribution: one walk gives score() (to rounding) and attribution() exactly; zeros before ready', () => {
  const f = new RandomCutForest({ dimensions: 12, numTrees: 20, sampleSize: 64, seed: 4 });
  const pts = stream(300, 5);
  const dv = createDiVector(12);
  assert.equal(f.scoreWithAttribution(pts[0]!, dv), 0);
  assert.equal(diVectorTotal(dv), 0);
  for (const p of pts.slice(0, 200)) f.update(p);
  const spike = pts[250]!.slice();
  spike[5] = spike[5]! + 20;
  for (const q of [pts[210]!, pts[120]!, spike]) {
    const s = f.scoreWithAttribution(q, dv);
    assert.ok(Math.abs(s - f.score(q)) <= 1e-12 * Math.max(1, s), `score ${s} vs ${f.score(q)}`);
    const a = f.attribution(q);
    assert.deepEqual(Array.from(dv.high), Array.from(a.high));
    assert.deepEqual(Array.from(dv.low), Array.from(a.low));
  }
  assert.throws(() => f.scoreWithAttribution(pts[0]!, { high: new Float64Array(3), low: new Float64Array(3) }), /out must be/);
});

test('decay sampling fast rejection: u under the bound is always a rejection by the exact weight rule, and catches most rejections', async () => {
  const { DecayHeaps } = await import('../src/rcf/sampler.ts');
  const S = 32;
  const r = new Prng(8);
  for (const [timeDecay, s0] of [[1 / (10 * S), 5000], [1e-5, 3_000_000], [0, 100], [1 / S, 40_000]] as const) {
    const h = new DecayHeaps(1, S);
    const weightOf = (u: number, s: number): number => -timeDecay * s + detLn(-detLn(u));
    for (let k = 0; k < S; k++) h.push(0, k, weightOf((r.nextUint32() + 0.5) / 4294967296, s0 - 10 * S + k * 10), k);
    let rejections = 0;
    let fast = 0;
    for (let s = s0; s < s0 + 3000; s++) {
      const u = (r.nextUint32() + 0.5) / 4294967296;
      const w = weightOf(u, s);
      const exactReject = !h.accepts(0, w);
      const bound = h.rejectBelow(0, s, timeDecay);
      if (u < bound) {
        assert.ok(exactReject, `timeDecay ${timeDecay}, s ${s}: u ${u} under the bound ${bound} but the weight ${w} is accepted`);
        fast++;
      }
      if (exactReject) rejections++;
      else h.push(0, s, w, 0);
    }
    assert.ok(rejections > 0 && fast >= 0.9 * rejections, `timeDecay ${timeDecay}: fast path took ${fast} of ${rejections} rejections`);
  }
});

test('scoreSamplesWithAttribution (tree by tree over chunks) equals scoreWithAttribution row by row, bit for bit, and changes nothing', () => {
  const train = stream(1500, 31);
  for (const sampling of ['window', 'decay'] as const) {
    const f = new RandomCutForest({ dimensions: 12, numTrees: 9, sampleSize: 64, sampling, seed: 4 });
    for (const p of train) f.update(p);
    // new points, a spike, and points the forest holds (duplicates take the other scoring branch)
    const rows = [...stream(1300, 32), train[train.length - 1]!.slice(), train[train.length - 2]!.slice()];
    rows[7]![5] = rows[7]![5]! - 40;
    const flat = new Float64Array(rows.length * 12);
    rows.forEach((p, i) => flat.set(p, i * 12));
    const snap = (): string => {
      const a = f.toState().arrays as Record<string, ArrayLike<number>>;
      return ['boxMin', 'boxMax', 'leafMass', 'mass', 'leafPoint'].map((k) => Array.from(a[k]!).join(',')).join('|');
    };
    const before = snap();
    const attr = { high: new Float64Array(rows.length * 12), low: new Float64Array(rows.length * 12) };
    const got = f.scoreSamplesWithAttribution(matrixFrom(flat, rows.length, 12), attr);
    const dv = createDiVector(12);
    for (let i = 0; i < rows.length; i++) {
      const s = f.scoreWithAttribution(rows[i]!, dv);
      assert.equal(got[i], s, `${sampling}: score of row ${i}`);
      assert.deepEqual(Array.from(attr.high.subarray(i * 12, (i + 1) * 12)), Array.from(dv.high), `${sampling}: high of row ${i}`);
      assert.deepEqual(Array.from(attr.low.subarray(i * 12, (i + 1) * 12)), Array.from(dv.low), `${sampling}: low of row ${i}`);
    }
    assert.ok(got[rows.length - 1]! < got[7]!, 'a held point scores below a spike');
    assert.equal(snap(), before, 'forest unchanged');
    assert.throws(() => f.scoreSamplesWithAttribution(matrixFrom(flat, rows.length, 12), { high: new Float64Array(3), low: new Float64Array(3) }), /attribution must be/);
  }
});

test('a restored forest recognises the points it holds (leaf point hashes are rebuilt on load)', () => {
  const pts = stream(900, 41);
  for (const sampling of ['window', 'decay'] as const) {
    const f = new RandomCutForest({ dimensions: 12, numTrees: 11, sampleSize: 64, sampling, seed: 8 });
    for (const p of pts) f.update(p);
    const g = RandomCutForest.fromState(f.toState());
    const held = pts[pts.length - 1]!;
    const near = held.slice();
    near[0] = near[0]! + 1e-9;
    // A held point takes the duplicate branch (scoreSeen), a point 1e-9 away does not: the scores differ.
    assert.notEqual(f.score(held), f.score(near));
    assert.equal(g.score(held), f.score(held), `${sampling}: held point`);
    assert.equal(g.score(near), f.score(near), `${sampling}: nearby point`);
    const dvF = createDiVector(12);
    const dvG = createDiVector(12);
    assert.equal(g.scoreWithAttribution(held, dvG), f.scoreWithAttribution(held, dvF));
    assert.deepEqual(Array.from(dvG.high), Array.from(dvF.high));
  }
});

test('point store: grows in place inside the kernel region, and moves out of it (same values) when it outgrows it', () => {
  const dims = 3;
  const region = new Float64Array(new ArrayBuffer(8 * dims * 8), 0, 8 * dims); // room for 8 points
  const s = new PointStore(dims, 2, region);
  assert.equal(s.inKernel, true);
  const pts = Array.from({ length: 12 }, (_, i) => [i, -i, i / 2]);
  const idx: number[] = [];
  for (let i = 0; i < 8; i++) idx.push(s.add(pts[i]!));
  assert.equal(s.inKernel, true, 'capacity 2 -> 4 -> 8 stays in the region');
  assert.equal(s.values.buffer, region.buffer);
  for (let i = 8; i < 12; i++) idx.push(s.add(pts[i]!));
  assert.equal(s.inKernel, false, 'capacity 16 does not fit: the values moved to a plain array');
  assert.notEqual(s.values.buffer, region.buffer);
  idx.forEach((k, i) => assert.ok(s.equals(k, pts[i]!), `point ${i} kept its values`));
  // Restoring saved arrays copies them into the region when they fit, and keeps them where they are otherwise.
  const small = PointStore.fromArrays(dims, new Float64Array(4 * dims).fill(7), new Int32Array(4), new Int32Array(4), 4, region);
  assert.equal(small.inKernel, true);
  assert.equal(small.values.buffer, region.buffer);
  assert.equal(small.values[5], 7);
  const big = PointStore.fromArrays(dims, new Float64Array(16 * dims), new Int32Array(16), new Int32Array(16), 16, region);
  assert.equal(big.inKernel, false);
});

test('without WebAssembly (a CSP without wasm-unsafe-eval, an old runtime) forests take the JS walks and give the same scores', async () => {
  const { spawnSync } = await import('node:child_process');
  const script = `
    import { RandomCutForest } from './packages/engine/src/rcf/index.ts';
    import { walkKernelStatus } from './packages/engine/src/rcf/kernel/walk-kernel.ts';
    const f = new RandomCutForest({ dimensions: 5, numTrees: 20, sampleSize: 64, sampling: 'decay', seed: 9 });
    const X = new Float64Array(600 * 5);
    for (let i = 0; i < X.length; i++) X[i] = Math.sin(i * 0.37) * 10 + (i % 97 === 0 ? 50 : 0);
    const att = { high: new Float64Array(X.length), low: new Float64Array(X.length) };
    const s = f.updateMany({ data: X, rows: 600, cols: 5 }, undefined, att);
    console.log(JSON.stringify({ status: walkKernelStatus(), s: Array.from(s), h: Array.from(att.high), l: Array.from(att.low) }));
  `;
  const run = (flags: string[]) => {
    const r = spawnSync(process.execPath, [...flags, '--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { status: { kernel: string; reason: string }; s: number[]; h: number[]; l: number[] };
  };
  const wasm = run([]);
  const js = run(['--no-expose-wasm']);
  assert.deepEqual(wasm.status, { kernel: 'wasm', reason: '' });
  assert.equal(js.status.kernel, 'js');
  assert.match(js.status.reason, /WebAssembly unavailable: this runtime has no WebAssembly/);
  assert.deepEqual(js.s, wasm.s);
  assert.deepEqual(js.h, wasm.h);
  assert.deepEqual(js.l, wasm.l);
});
