/**
 * The run behind the Random Cut Forest's bit-identity guard (rcf-golden.test.ts
 * in Node, rcf-golden.browser.test.ts in Chromium): a fixed seeded stream (with
 * spikes, level shifts and exact duplicates) through window and decay forests,
 * and batch forests of 12, 5 and 1 dimensions. Every score, DiVector, expected
 * point, batch score and the saved state is collected as the exact bytes of its
 * float64 values; the tests hash them with SHA-256 (node:crypto, or
 * crypto.subtle in the browser) and compare with test/rcf-golden.json.
 */
import { RandomCutForest, Shingler, createDiVector, type SamplingMode } from '../../src/rcf/index.ts';
import { Prng } from '../../src/random/prng.ts';
import { matrixFrom } from '../../src/matrix.ts';

/** Bytes to be hashed, in order (a hash's update() calls, kept). */
export class Sink {
  readonly parts: Uint8Array[] = [];
  update(b: Uint8Array | string): void {
    this.parts.push(typeof b === 'string' ? new TextEncoder().encode(b) : b.slice());
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

function feed(h: Sink, xs: ArrayLike<number>): void {
  const b = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) b[i] = xs[i]!;
  h.update(new Uint8Array(b.buffer));
}

/** 3 metrics x shingle 4 with daily cycle, spikes, a level shift, and runs of exact repeats. */
function stream(n: number, seed: number): Float64Array[] {
  const r = new Prng(seed);
  const sh = new Shingler(3, 4);
  const v = new Float64Array(3);
  const out: Float64Array[] = [];
  for (let i = 0; out.length < n; i++) {
    const cyc = Math.round(1000 * Math.sin((2 * Math.PI * i) / 48)) / 1000;
    v[0] = 300 + 40 * cyc + Math.round(r.normal() * 15);
    v[1] = 0.12 + Math.round(r.normal() * 20) / 1000;
    v[2] = 80 + 30 * cyc + Math.round(r.normal() * 8);
    if (i % 211 === 100) v[0] += 500;
    if (i % 337 === 200) v[2] -= 70;
    if (i > n / 2) v[1] += 0.05;
    if (i % 50 >= 45) { v[0] = 300; v[1] = 0.12; v[2] = 80; } // repeats -> duplicate leaves
    if (sh.push(v)) out.push(sh.point.slice());
  }
  return out;
}

function runStreaming(sampling: SamplingMode, numTrees: number, sampleSize: number, n: number): Record<string, Sink> {
  const pts = stream(n, sampling === 'window' ? 11 : 12);
  const f = new RandomCutForest({ dimensions: 12, numTrees, sampleSize, sampling, seed: 5, timeDecay: sampling === 'decay' ? 1 / (4 * sampleSize) : undefined });
  const hs = new Sink();
  const hd = new Sink();
  const hq = new Sink();
  const dv = createDiVector(12);
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) scores.push(f.update(pts[i]!));
    else {
      scores.push(f.updateWithDetails(pts[i]!, dv));
      feed(hd, dv.high);
      feed(hd, dv.low);
    }
    if (i % 97 === 0 && i > 0) {
      const probe = pts[(i * 7) % n]!;
      const a = f.attribution(probe);
      feed(hq, [f.score(probe)]);
      feed(hq, a.high);
      feed(hq, a.low);
      feed(hq, f.expectedPoint(probe));
      feed(hq, f.expectedPoint(probe, [0, 4, 8]));
    }
  }
  // The batched streaming call (chunks, tree by tree) with DiVectors, on the next points.
  const more = stream(n + 300, sampling === 'window' ? 11 : 12).slice(n);
  const M = new Float64Array(more.length * 12);
  more.forEach((p, i) => M.set(p, i * 12));
  const att = { high: new Float64Array(M.length), low: new Float64Array(M.length) };
  scores.push(...f.updateMany(matrixFrom(M, more.length, 12), undefined, att));
  feed(hd, att.high);
  feed(hd, att.low);
  feed(hs, scores);
  const hst = new Sink();
  const st = f.toState();
  hst.update(JSON.stringify(st.params));
  for (const k of Object.keys(st.arrays).sort()) {
    hst.update(k);
    const a = st.arrays[k]!;
    hst.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return { scores: hs, divectors: hd, queries: hq, state: hst };
}

function runBatch(): Record<string, Sink> {
  const pts = stream(1500, 13);
  const data = new Float64Array(pts.length * 12);
  pts.forEach((p, i) => data.set(p, i * 12));
  const X = matrixFrom(data, pts.length, 12);
  const f = new RandomCutForest({ dimensions: 12, numTrees: 30, sampleSize: 128, seed: 3 }).fit(X);
  const h = new Sink();
  feed(h, f.scoreSamples(X));
  feed(h, f.codispSamples());
  const att = { high: new Float64Array(data.length), low: new Float64Array(data.length) };
  feed(h, f.scoreSamplesWithAttribution(X, att));
  feed(h, att.high);
  feed(h, att.low);
  // An odd number of dimensions (the kernel's last dimension runs outside its pairs), and one.
  for (const dims of [5, 1]) {
    const Y = new Float64Array(pts.length * dims);
    pts.forEach((p, i) => { for (let d = 0; d < dims; d++) Y[i * dims + d] = p[d * 2]!; });
    const XY = matrixFrom(Y, pts.length, dims);
    const g = new RandomCutForest({ dimensions: dims, numTrees: 20, sampleSize: 64, seed: 4 }).fit(XY);
    const a = { high: new Float64Array(Y.length), low: new Float64Array(Y.length) };
    feed(h, g.scoreSamplesWithAttribution(XY, a));
    feed(h, a.high);
    feed(h, a.low);
    feed(h, g.scoreSamples(XY));
  }
  return { batch: h };
}

export function computeGoldenBytes(): Record<string, Record<string, Sink>> {
  return {
    window_100x256: runStreaming('window', 100, 256, 1200),
    window_40x64: runStreaming('window', 40, 64, 3000),
    decay_100x256: runStreaming('decay', 100, 256, 1200),
    decay_40x64: runStreaming('decay', 40, 64, 3000),
    batch: runBatch(),
  };
}
