/**
 * Robust Random Cut Forest (Guha, Mishra, Roy & Schrijvers, ICML 2016), with
 * the scoring, attribution, sampling and imputation semantics of AWS's
 * random-cut-forest-by-aws (see visitors.ts, sampler.ts, node-store.ts for the
 * exact rules) and rrcf's batch CoDisp.
 *
 * Streaming: `update(point)`: each tree forgets what its sampling drops (window:
 * the oldest point; decay: its largest weight, if it takes the new point),
 * then scores the point and inserts it in one walk (rrcf's streaming order;
 * AWS scores before forgetting -- the difference is one point of sampleSize).
 * Batch: `fit(X)` builds the trees from random subsamples, `scoreSamples(X)`
 * scores rows, `codispSamples()` gives rrcf's CoDisp of the fitted rows.
 *
 * Memory (typed arrays, 100 trees x 256 points x 12 dims): ~6 MB, 5 MB of it
 * the per-node bounding boxes (see node-store.ts for why they are stored).
 *
 * Scores. `score()`/`update()` return AWS's anomaly score: the mean over trees
 * of the tree score scaled by log2(treeMass+1). It is about 1 for ordinary
 * points and grows for outliers (roughly log2(n)/depth-at-which-q-separates).
 * `RandomCutForest.normalizeScore(s)` = 2^(-1/s) maps it to [0,1) in the style
 * of Isolation Forest's 2^(-E[h]/c(n)) (s = 1 -> 0.5).
 *
 * Determinism: every random choice comes from seeded streams (StreamPrng:
 * the seeded Prng's xoshiro128** sequence, bit for bit): each tree draws its
 * cuts and sampling weights from its own stream (the seed's stream jumped
 * t + 1 times), fit() shuffles with the seed's own stream. Logarithms use
 * det-math.ts, so a seed and a stream give bit-identical scores in Node and
 * browsers; `toState()` captures everything (PRNG words, free lists, samples)
 * so a restored forest continues exactly like one that never stopped.
 *
 * Batches. updateMany() streams a batch of points tree by tree (each tree
 * takes the chunk's points in order, then the next tree): a tree's nodes,
 * boxes and sample stay in cache for the whole chunk instead of being fetched
 * again for every point. Because trees are independent and draw from their
 * own streams, the result is bit-identical to calling update() point by point
 * (test/rcf.test.ts checks it); update() is the same code with a chunk of one.
 *
 * WebAssembly. Where WebAssembly is available, the walks (a tree's score and
 * DiVector of a point, insert's descent and gaps, the box updates of insert and
 * delete, the imputation walk of expectedPoint) run in a SIMD kernel that reads the forest's arrays in place
 * (kernel/walk-kernel.ts: one fixed-size WebAssembly.Memory per forest holds the
 * trees, the points and the chunk buffers). It does the JS walks' operations in
 * the same order, so results are the same bits either way (test/rcf-golden.*);
 * without it (no WebAssembly, a CSP without 'wasm-unsafe-eval', the
 * single-file IIFE) the JS walks run. walkKernelStatus() says which.
 */
import type { Matrix } from '../matrix.ts';
import { StreamPrng } from './stream-prng.ts';
import { detExp2, detLn, detLog2 } from './det-math.ts';
import { describe, NodeStore } from './node-store.ts';
import { PointStore, hashPoint } from './point-store.ts';
import { DecayHeaps, WindowRing } from './sampler.ts';
import { TreeVisitors } from './visitors.ts';
import { WalkKernel } from './kernel/walk-kernel.ts';
import { addAttribution, createAttrScratch, type AttrScratch } from './attribution.ts';

export type SamplingMode = 'window' | 'decay';

export interface RandomCutForestOptions {
  /** Point dimension (metrics x shingleSize when shingled). */
  readonly dimensions: number;
  /** Trees. Default 100. */
  readonly numTrees?: number;
  /** Points per tree. Default 256. */
  readonly sampleSize?: number;
  /** How trees forget in streaming: last sampleSize points, or time-decayed sample. Default 'window'. */
  readonly sampling?: SamplingMode;
  /** Decay rate per point for 'decay' sampling. Default 1/(10 sampleSize). */
  readonly timeDecay?: number;
  /** Seed of every random choice. Default 1. */
  readonly seed?: number;
  /** Points seen before scores are reported (0 until then, as AWS). Default floor(sampleSize/4). */
  readonly outputAfter?: number;
}

/** Per dimension, the part of a score due to the value being above (high) or below (low) what the trees hold. */
export interface DiVector {
  readonly high: Float64Array;
  readonly low: Float64Array;
}

export type RcfArray = Int32Array | Float64Array | Uint32Array;

export interface RcfParams {
  /** 2: one PRNG stream per tree (`treePrng`). States of format 1 (one shared stream) are refused. */
  readonly formatVersion: 2;
  readonly dimensions: number;
  readonly numTrees: number;
  readonly sampleSize: number;
  readonly sampling: SamplingMode;
  readonly timeDecay: number;
  readonly seed: number;
  readonly outputAfter: number;
  /** Points seen by update(). */
  readonly updates: number;
  /** Built by fit() (batch); such a forest does not stream. */
  readonly fitted: boolean;
  readonly ringStart: number;
  readonly ringCount: number;
  readonly pointFreeCount: number;
}

export interface RcfState {
  readonly params: RcfParams;
  readonly arrays: Record<string, RcfArray>;
}

/** DiVectors of a batch of points: row i's parts at [i * dims, (i + 1) * dims). */
export interface DiVectorBatch {
  readonly high: Float64Array;
  readonly low: Float64Array;
}

/**
 * Most points per chunk of a batched call (updateMany, scoreSamplesWithAttribution):
 * a tree's working set (nodes and boxes, ~65 KB at 12 dimensions) is fetched
 * from memory once per chunk and per tree, so larger chunks amortise it over
 * more points (measured, decay updateMany at 100 trees x 256, 12 dims: chunk
 * 64 -> 1024 takes 6.5k -> 9.1k points/s on the same machine; the chunk's own
 * points are read in order, which the prefetcher hides). A window-mode update
 * chunk is also at most sampleSize, so it only evicts points stored before it
 * began. The scratch grows to what a call needs (update() uses one row), so a
 * forest that streams point by point never allocates it.
 */
const CHUNK = 1024;

/** Chunk scratch of the batched calls: the points, what they evict (window), store indices, ring slots, hashes, scores and DiVectors, with one view per row. */
class ChunkScratch {
  readonly size: number;
  readonly cq: Float64Array;
  readonly cqRow: Float64Array[];
  readonly cOldRow: Float64Array[];
  readonly cIdx: Int32Array;
  readonly cHash: Int32Array;
  readonly cDel: Int32Array;
  readonly cSlot: Int32Array;
  readonly cScore: Float64Array;
  readonly cHigh: Float64Array;
  readonly cLow: Float64Array;
  readonly cHighRow: Float64Array[];
  readonly cLowRow: Float64Array[];

  /** `kernel`: the forest's walk kernel, whose memory then holds the rows the walks read and write (cq, cHigh, cLow). */
  constructor(size: number, dims: number, kernel: WalkKernel | null) {
    this.size = size;
    this.cq = kernel ? kernel.chunkQ.subarray(0, size * dims) : new Float64Array(size * dims);
    const cOld = new Float64Array(size * dims);
    this.cHigh = kernel ? kernel.chunkHigh.subarray(0, size * dims) : new Float64Array(size * dims);
    this.cLow = kernel ? kernel.chunkLow.subarray(0, size * dims) : new Float64Array(size * dims);
    const rows = (a: Float64Array): Float64Array[] => Array.from({ length: size }, (_, k) => a.subarray(k * dims, (k + 1) * dims));
    this.cqRow = rows(this.cq);
    this.cOldRow = rows(cOld);
    this.cHighRow = rows(this.cHigh);
    this.cLowRow = rows(this.cLow);
    this.cIdx = new Int32Array(size);
    this.cHash = kernel ? kernel.chunkHash.subarray(0, size) : new Int32Array(size);
    this.cDel = new Int32Array(size);
    this.cSlot = new Int32Array(size);
    this.cScore = kernel ? kernel.chunkScore.subarray(0, size) : new Float64Array(size);
  }
}

export function createDiVector(dims: number): DiVector {
  return { high: new Float64Array(dims), low: new Float64Array(dims) };
}

/** Sum of all parts of a DiVector (equals the score it explains). */
export function diVectorTotal(v: DiVector): number {
  let s = 0;
  for (let d = 0; d < v.high.length; d++) s += v.high[d]! + v.low[d]!;
  return s;
}

export class RandomCutForest {
  readonly dimensions: number;
  readonly numTrees: number;
  readonly sampleSize: number;
  readonly sampling: SamplingMode;
  readonly timeDecay: number;
  readonly seed: number;
  readonly outputAfter: number;

  /** The seed's stream: fit()'s shuffles. */
  private prng: StreamPrng;
  /** One stream per tree (cuts, sampling weights); their words, saved as one array. */
  private treePrng: StreamPrng[];
  private treePrngWords: Int32Array;
  /** WebAssembly walks and the memory they read (null: JS walks; see kernel/walk-kernel.ts). */
  private readonly kernel: WalkKernel | null;
  private nodes: NodeStore;
  private points: PointStore;
  private ring: WindowRing | null;
  private heaps: DecayHeaps | null;
  private visitors: TreeVisitors;
  private readonly log2p1: Float64Array;
  private updatesSeen = 0;
  private fitted = false;
  /** Rows of the fitted matrix held by each tree (for codispSamples); only on the instance that ran fit(). */
  private fitRows: { rows: number; treeRows: Int32Array; treeCount: Int32Array; rowPoint: Int32Array } | null = null;

  // scratch
  private readonly q: Float64Array;
  private readonly old: Float64Array;
  /** Largest chunk of a batched call (CHUNK; window updates: also at most sampleSize). */
  private readonly chunk: number;
  /** Chunk scratch, grown on demand up to `chunk` rows. */
  private cs: ChunkScratch;
  private readonly attr: DiVector;
  private readonly treeAttr: AttrScratch;
  private impute: Float64Array;

  constructor(options: RandomCutForestOptions) {
    const o = options ?? ({} as RandomCutForestOptions);
    const dims = o.dimensions;
    const numTrees = o.numTrees ?? 100;
    const sampleSize = o.sampleSize ?? 256;
    const sampling = o.sampling ?? 'window';
    const timeDecay = o.timeDecay ?? 1 / (10 * sampleSize);
    const seed = o.seed ?? 1;
    const outputAfter = o.outputAfter ?? Math.floor(sampleSize / 4);
    checkInt('dimensions', dims, 1, 1 << 16);
    checkInt('numTrees', numTrees, 1, 10000);
    checkInt('sampleSize', sampleSize, 2, 1 << 20);
    checkInt('outputAfter', outputAfter, 0, Number.MAX_SAFE_INTEGER);
    if (sampling !== 'window' && sampling !== 'decay') {
      throw new Error(`RandomCutForest: sampling must be 'window' or 'decay', got ${JSON.stringify(sampling)}`);
    }
    if (!(Number.isFinite(timeDecay) && timeDecay >= 0)) {
      throw new Error(`RandomCutForest: timeDecay must be a finite number >= 0, got ${timeDecay}`);
    }
    if (!Number.isFinite(seed)) throw new Error(`RandomCutForest: seed must be a finite number, got ${seed}`);
    this.dimensions = dims;
    this.numTrees = numTrees;
    this.sampleSize = sampleSize;
    this.sampling = sampling;
    this.timeDecay = timeDecay;
    this.seed = seed;
    this.outputAfter = outputAfter;
    this.prng = new StreamPrng(seed);
    const tp = StreamPrng.perTree(seed, numTrees);
    this.treePrng = tp.streams;
    this.treePrngWords = tp.words;
    this.chunk = sampling === 'decay' ? CHUNK : Math.min(CHUNK, sampleSize);
    this.kernel = WalkKernel.create({ dims, numTrees, sampleSize, chunkRows: this.chunk, pointCapacity: kernelPointCapacity(sampling, numTrees, sampleSize, this.chunk) });
    this.log2p1 = this.kernel ? this.kernel.log2p1 : new Float64Array(sampleSize + 2);
    for (let k = 0; k < this.log2p1.length; k++) this.log2p1[k] = detLog2(k + 1);
    this.nodes = new NodeStore(dims, numTrees, sampleSize, this.log2p1, this.kernel);
    // Window: the ring's S points plus at most S more that leaves still refer to
    // (a leaf keeps the first of several equal points), so 2S never grows.
    this.points = new PointStore(dims, sampling === 'window' ? 2 * sampleSize : Math.min(4 * sampleSize, numTrees * sampleSize), this.kernel?.points ?? null);
    this.ring = sampling === 'window' ? new WindowRing(sampleSize, numTrees) : null;
    this.heaps = sampling === 'decay' ? new DecayHeaps(numTrees, sampleSize) : null;
    this.visitors = new TreeVisitors(this.nodes, this.log2p1, this.kernel);
    this.q = this.kernel ? this.kernel.q : new Float64Array(dims);
    this.old = new Float64Array(dims);
    this.cs = new ChunkScratch(1, dims, this.kernel);
    this.attr = createDiVector(dims);
    this.treeAttr = createAttrScratch(dims, this.kernel);
    this.impute = new Float64Array(numTrees);
  }

  /**
   * Which tree walks this forest runs: 'wasm' (the WebAssembly kernel) or 'js'
   * (WebAssembly unavailable or turned off, see walkKernelStatus(); a forest
   * too large for one 32-bit WebAssembly memory; or a point store that outgrew
   * its region). The results are the same bits either way.
   */
  get walks(): 'wasm' | 'js' {
    return this.kernel !== null && this.points.inKernel ? 'wasm' : 'js';
  }

  /** Points seen by update(). */
  get updates(): number {
    return this.updatesSeen;
  }

  /** Whether scores are being reported (enough points seen, or fitted). */
  get isReady(): boolean {
    return this.fitted || (this.updatesSeen >= this.outputAfter && this.updatesSeen > 0);
  }

  /** IF-style [0,1) form of an anomaly score: 2^(-1/score); 1 -> 0.5, 0 -> 0. Deterministic. */
  static normalizeScore(score: number): number {
    if (!(score > 0)) return 0;
    return detExp2(-1 / score);
  }

  // ------------------------------------------------------------------ streaming

  /**
   * Streams one point: each tree first forgets what its sampling drops (window:
   * the oldest point; decay: the largest weight, when the tree accepts this
   * point), then the point is scored against the tree and inserted, in one walk
   * (rrcf's streaming order: forget, then score and insert). Returns the AWS
   * anomaly score (0 until `outputAfter` points were seen).
   */
  update(point: ArrayLike<number>): number {
    this.load(point, 'update', this.cs.cqRow[0]!);
    this.assertStreaming();
    const ready = this.isReady;
    this.runChunk(1, false);
    return ready ? this.cs.cScore[0]! / this.numTrees : 0;
  }

  /**
   * update() for every row of X in order, tree by tree over chunks of rows (see
   * "Batches" above): bit-identical to calling update() on each row, faster.
   * Returns the scores (into `out` when given); with `attribution`, row i's
   * DiVector goes to attribution.high/low[i*dims .. (i+1)*dims) (as
   * updateWithDetails). Rows before the forest is ready score 0.
   */
  updateMany(X: Matrix, out?: Float64Array, attribution?: DiVectorBatch): Float64Array {
    this.checkMatrix(X, 'updateMany');
    this.assertStreaming();
    const n = X.rows;
    const dims = this.dimensions;
    const res = out ?? new Float64Array(n);
    if (res.length !== n) throw new Error(`RandomCutForest.updateMany: out has length ${res.length}, expected ${n} (rows of X)`);
    if (attribution) {
      const ok = attribution.high instanceof Float64Array && attribution.low instanceof Float64Array && attribution.high.length === n * dims && attribution.low.length === n * dims;
      if (!ok) throw new Error(`RandomCutForest.updateMany: attribution must be { high, low } Float64Arrays of length rows x dimensions = ${n * dims}`);
    }
    const withAttr = attribution !== undefined;
    const T = this.numTrees;
    const cs = this.chunkScratch(n);
    for (let start = 0; start < n; start += cs.size) {
      const m = Math.min(cs.size, n - start);
      const cq = cs.cq;
      for (let i = 0; i < m * dims; i++) {
        const v = X.data[start * dims + i]!;
        cq[i] = v === 0 ? 0 : v; // -0 -> 0, as load()
      }
      const seen = this.updatesSeen;
      this.runChunk(m, withAttr);
      for (let k = 0; k < m; k++) {
        const ready = seen + k >= this.outputAfter && seen + k > 0;
        res[start + k] = ready ? cs.cScore[k]! / T : 0;
        if (attribution) {
          const o = (start + k) * dims;
          for (let d = 0; d < dims; d++) {
            attribution.high[o + d] = ready ? cs.cHigh[k * dims + d]! : 0;
            attribution.low[o + d] = ready ? cs.cLow[k * dims + d]! : 0;
          }
        }
      }
    }
    return res;
  }

  /**
   * update() that also writes the point's DiVector into `out` (zeros until
   * ready): the attribution of the same score update() would return.
   */
  updateWithDetails(point: ArrayLike<number>, out: DiVector): number {
    this.load(point, 'updateWithDetails', this.cs.cqRow[0]!);
    this.assertStreaming();
    this.checkDiVector(out, 'updateWithDetails');
    const ready = this.isReady;
    this.runChunk(1, true);
    if (!ready) {
      out.high.fill(0);
      out.low.fill(0);
      return 0;
    }
    out.high.set(this.cs.cHighRow[0]!);
    out.low.set(this.cs.cLowRow[0]!);
    return this.cs.cScore[0]! / this.numTrees;
  }

  /** AWS anomaly score of `point` without changing the forest (0 until ready). */
  score(point: ArrayLike<number>): number {
    const q = this.load(point, 'score');
    return this.isReady ? this.scoreLoaded(q) : 0;
  }

  /**
   * score() and attribution() in one walk per tree: writes the DiVector into
   * `out` and returns the score the same walk found (equal to score(point) up
   * to rounding in the last bits; half the work of calling both).
   */
  scoreWithAttribution(point: ArrayLike<number>, out: DiVector): number {
    const q = this.load(point, 'scoreWithAttribution');
    this.checkDiVector(out, 'scoreWithAttribution');
    return this.attributeLoaded(q, out);
  }

  /** DiVector of `point` (sums to score(point)); writes into `out` when given. */
  attribution(point: ArrayLike<number>, out?: DiVector): DiVector {
    const q = this.load(point, 'attribution');
    const o = out ?? createDiVector(this.dimensions);
    this.checkDiVector(o, 'attribution');
    this.attributeLoaded(q, o);
    return o;
  }

  /**
   * The point with the coordinates `dims` replaced by what the forest finds
   * normal given the other coordinates (AWS imputeMissingValues: per tree the
   * ImputeVisitor's leaf; per coordinate the median over trees). Default dims:
   * the one coordinate with the largest attribution. For a shingled point pass
   * the newest entry of each metric (Shingler.newestDims()).
   */
  expectedPoint(point: ArrayLike<number>, dims?: ArrayLike<number>, out?: Float64Array): Float64Array {
    const q = this.load(point, 'expectedPoint');
    let miss: ArrayLike<number>;
    if (dims === undefined) {
      this.attributeLoaded(q, this.attr);
      let best = 0;
      let bestV = -1;
      for (let d = 0; d < this.dimensions; d++) {
        const v = this.attr.high[d]! + this.attr.low[d]!;
        if (v > bestV) {
          bestV = v;
          best = d;
        }
      }
      miss = [best];
    } else {
      for (let k = 0; k < dims.length; k++) {
        const d = dims[k]!;
        if (!Number.isInteger(d) || d < 0 || d >= this.dimensions) {
          throw new Error(`RandomCutForest.expectedPoint: dimension index ${d} (position ${k}) is outside 0..${this.dimensions - 1}`);
        }
      }
      miss = dims;
    }
    const res = out ?? new Float64Array(this.dimensions);
    if (res.length !== this.dimensions) throw new Error(`RandomCutForest.expectedPoint: out has length ${res.length}, expected ${this.dimensions}`);
    res.set(q);
    const T = this.numTrees;
    const nm = miss.length;
    if (nm === 0) return res;
    if (this.impute.length < T * nm) this.impute = new Float64Array(T * nm);
    const buf = this.impute;
    let used = 0;
    for (let t = 0; t < T; t++) {
      const idx = this.visitors.imputeLeaf(t, q, miss, this.points);
      if (idx < 0) continue;
      const base = idx * this.dimensions;
      for (let k = 0; k < nm; k++) buf[k * T + used] = this.points.values[base + miss[k]!]!;
      used++;
    }
    if (used === 0) return res; // empty forest: nothing better than the point itself
    for (let k = 0; k < nm; k++) {
      const seg = buf.subarray(k * T, k * T + used).sort();
      res[miss[k]!] = used % 2 === 1 ? seg[(used - 1) >> 1]! : 0.5 * (seg[used / 2 - 1]! + seg[used / 2]!);
    }
    return res;
  }

  // ---------------------------------------------------------------------- batch

  /**
   * Builds the trees from X (rows = points). Trees are filled in rounds: each
   * round shuffles the rows and cuts them into floor(rows/sampleSize) disjoint
   * subsamples of sampleSize rows (one per tree; all rows when rows < sampleSize),
   * as rrcf's batch recipe, until numTrees trees exist. Replaces any earlier
   * content; the forest then scores (scoreSamples, score, attribution) but does
   * not stream.
   */
  fit(X: Matrix): this {
    this.checkMatrix(X, 'fit');
    const n = X.rows;
    const dims = this.dimensions;
    const S = this.sampleSize;
    const T = this.numTrees;
    this.nodes.clear();
    this.points = new PointStore(dims, Math.max(1, Math.min(n, T * S)), this.kernel?.points ?? null);
    this.ring = this.sampling === 'window' ? new WindowRing(S, T) : null;
    this.heaps = this.sampling === 'decay' ? new DecayHeaps(T, S) : null;
    this.updatesSeen = 0;
    const per = Math.min(S, n);
    const chunks = Math.max(1, Math.floor(n / S));
    const perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    const rowPoint = new Int32Array(n).fill(-1);
    const treeRows = new Int32Array(T * S).fill(-1);
    const treeCount = new Int32Array(T);
    const q = this.q;
    let t = 0;
    while (t < T) {
      for (let i = n - 1; i > 0; i--) {
        const j = this.prng.nextInt(i + 1);
        const tmp = perm[i]!;
        perm[i] = perm[j]!;
        perm[j] = tmp;
      }
      for (let c = 0; c < chunks && t < T; c++, t++) {
        for (let k = 0; k < per; k++) {
          const row = perm[c * per + k]!;
          for (let d = 0; d < dims; d++) {
            const v = X.data[row * dims + d]!;
            q[d] = v === 0 ? 0 : v;
          }
          let idx = rowPoint[row]!;
          if (idx < 0) {
            idx = this.points.add(q);
            rowPoint[row] = idx;
          }
          if (this.nodes.insert(t, q, idx, this.points, this.treePrng[t]!)) this.points.acquire(idx);
          treeRows[t * S + k] = row;
        }
        treeCount[t] = per;
      }
    }
    // Rows that no tree took hold no reference: give their slots back.
    for (let i = 0; i < n; i++) {
      const idx = rowPoint[i]!;
      if (idx >= 0 && this.points.refCount[idx] === 0) {
        this.points.acquire(idx);
        this.points.release(idx);
      }
    }
    this.nodes.computeInternalMasses(); // for codispSamples (inserts keep only tree and leaf masses)
    this.fitted = true;
    this.fitRows = { rows: n, treeRows, treeCount, rowPoint };
    return this;
  }

  /**
   * AWS anomaly score of every row of X, without changing the forest (tree-major over
   * chunks of rows, see scoreChunks; per row the same sum as score()). Zeros until ready.
   */
  scoreSamples(X: Matrix, out?: Float64Array): Float64Array {
    this.checkMatrix(X, 'scoreSamples');
    const n = X.rows;
    const res = out ?? new Float64Array(n);
    if (res.length !== n) throw new Error(`RandomCutForest.scoreSamples: out has length ${res.length}, expected ${n} (rows of X)`);
    res.fill(0);
    if (this.isReady) this.scoreChunks(X, res, null);
    return res;
  }

  /**
   * scoreWithAttribution() for every row of X, without changing the forest:
   * returns the scores (into `out` when given) and writes row i's DiVector to
   * attribution.high/low[i*dims .. (i+1)*dims). Bit-identical to it row by row
   * (see scoreChunks). All zeros until the forest is ready.
   */
  scoreSamplesWithAttribution(X: Matrix, attribution: DiVectorBatch, out?: Float64Array): Float64Array {
    this.checkMatrix(X, 'scoreSamplesWithAttribution');
    const n = X.rows;
    const dims = this.dimensions;
    const res = out ?? new Float64Array(n);
    if (res.length !== n) throw new Error(`RandomCutForest.scoreSamplesWithAttribution: out has length ${res.length}, expected ${n} (rows of X)`);
    const ok = attribution && attribution.high instanceof Float64Array && attribution.low instanceof Float64Array && attribution.high.length === n * dims && attribution.low.length === n * dims;
    if (!ok) throw new Error(`RandomCutForest.scoreSamplesWithAttribution: attribution must be { high, low } Float64Arrays of length rows x dimensions = ${n * dims}`);
    res.fill(0);
    attribution.high.fill(0);
    attribution.low.fill(0);
    if (this.isReady) this.scoreChunks(X, res, attribution);
    return res;
  }

  /**
   * The batch scoring walk: tree-major over chunks of rows, so each tree's nodes and
   * boxes are fetched once per chunk rather than once per row, each row loaded (-0 -> 0,
   * as load()) and hashed once. Per row the trees add up in the same order as
   * score() / scoreWithAttribution(), so the results are bit-identical to them. With
   * `attribution`, the walk of scoreWithAttribution (and its DiVectors) instead of score().
   */
  private scoreChunks(X: Matrix, res: Float64Array, attribution: DiVectorBatch | null): void {
    const n = X.rows;
    const dims = this.dimensions;
    const T = this.numTrees;
    const w = 1 / T;
    const visitors = this.visitors;
    const points = this.points;
    const cs = this.chunkScratch(n);
    const { cq, cqRow, cHash, cScore, cHigh, cLow, cHighRow, cLowRow } = cs;
    for (let start = 0; start < n; start += cs.size) {
      const m = Math.min(cs.size, n - start);
      for (let i = 0; i < m * dims; i++) {
        const v = X.data[start * dims + i]!;
        cq[i] = v === 0 ? 0 : v;
      }
      for (let k = 0; k < m; k++) cHash[k] = hashPoint(cqRow[k]!, 0, dims);
      cScore.fill(0, 0, m);
      if (attribution) {
        cHigh.fill(0, 0, m * dims);
        cLow.fill(0, 0, m * dims);
        for (let t = 0; t < T; t++) {
          for (let k = 0; k < m; k++) cScore[k] = cScore[k]! + visitors.attribution(t, cqRow[k]!, cHash[k]!, points, w, cHighRow[k]!, cLowRow[k]!);
        }
        attribution.high.set(cHigh.subarray(0, m * dims), start * dims);
        attribution.low.set(cLow.subarray(0, m * dims), start * dims);
      } else {
        for (let t = 0; t < T; t++) {
          for (let k = 0; k < m; k++) {
            visitors.scoreTree(t, cqRow[k]!, cHash[k]!, points);
            cScore[k] = cScore[k]! + visitors.lastScore;
          }
        }
      }
      for (let k = 0; k < m; k++) res[start + k] = cScore[k]! / T;
    }
  }

  /**
   * rrcf's batch score of the fitted rows: per row, the mean over the trees that
   * hold it of its collusive displacement. Rows no tree holds get NaN (use more
   * trees: each round of floor(rows/sampleSize) trees covers all but
   * rows mod sampleSize rows). Only on the instance that ran fit().
   */
  codispSamples(out?: Float64Array): Float64Array {
    const fr = this.fitRows;
    if (!fr) throw new Error('RandomCutForest.codispSamples: call fit(X) on this instance first (the fitted rows are not part of the saved state)');
    const res = out ?? new Float64Array(fr.rows);
    if (res.length !== fr.rows) throw new Error(`RandomCutForest.codispSamples: out has length ${res.length}, expected ${fr.rows}`);
    const count = new Int32Array(fr.rows);
    res.fill(0);
    const S = this.sampleSize;
    const q = this.q;
    const dims = this.dimensions;
    for (let t = 0; t < this.numTrees; t++) {
      for (let k = 0; k < fr.treeCount[t]!; k++) {
        const row = fr.treeRows[t * S + k]!;
        const base = fr.rowPoint[row]! * dims;
        for (let d = 0; d < dims; d++) q[d] = this.points.values[base + d]!;
        const leaf = this.nodes.findLeaf(t, q);
        res[row] = res[row]! + this.visitors.codisp(leaf);
        count[row]!++;
      }
    }
    for (let i = 0; i < fr.rows; i++) res[i] = count[i]! > 0 ? res[i]! / count[i]! : NaN;
    return res;
  }

  // ---------------------------------------------------------------- inspection

  /** Points (with multiplicity) held by tree t. */
  treeMass(t: number): number {
    return this.nodes.treeMass(t);
  }

  /** Internal nodes and leaves in use over all trees. */
  nodesInUse(): { internal: number; leaves: number } {
    return this.nodes.nodesInUse();
  }

  /** Distinct points in the shared point store. */
  get storedPoints(): number {
    return this.points.size;
  }

  /** Window mode: the points the trees hold, oldest first (copies; for tests and inspection). */
  windowPoints(): Float64Array[] {
    if (!this.ring) throw new Error(`RandomCutForest.windowPoints: sampling is '${this.sampling}', not 'window'`);
    const out: Float64Array[] = [];
    for (const idx of this.ring.indices()) out.push(this.points.values.slice(idx * this.dimensions, (idx + 1) * this.dimensions));
    return out;
  }

  /** Decay mode: the points tree t holds with their sampling weights (copies; for tests and inspection). */
  treeSample(t: number): { points: Float64Array[]; weights: Float64Array } {
    if (!this.heaps) throw new Error(`RandomCutForest.treeSample: sampling is '${this.sampling}', not 'decay'`);
    const S = this.sampleSize;
    const c = this.heaps.count[t]!;
    const pts: Float64Array[] = [];
    for (let k = 0; k < c; k++) {
      const idx = this.heaps.point[t * S + k]!;
      pts.push(this.points.values.slice(idx * this.dimensions, (idx + 1) * this.dimensions));
    }
    return { points: pts, weights: this.heaps.weight.slice(t * S, t * S + c) };
  }

  /** Bytes of all typed arrays the forest holds (trees, point store, samplers, scratch). */
  memoryBytes(): number {
    // With the kernel, its memory (trees, the point region, chunk buffers,
    // scratch) is counted whole, and the arrays in it not again.
    const k = this.kernel;
    const own = (a: ArrayBufferView): number => (k !== null && a.buffer === k.buffer ? 0 : a.byteLength);
    let b = (k ? k.buffer.byteLength : 0) + this.nodes.byteLength(own) + this.points.byteLength(own) + own(this.log2p1);
    if (this.ring) b += this.ring.ring.byteLength + this.ring.leaf.byteLength;
    if (this.heaps) b += this.heaps.byteLength();
    b += own(this.q) + this.old.byteLength + this.attr.high.byteLength * 2 + this.impute.byteLength;
    b += this.dimensions * 8 * 6 * 2 + this.dimensions * 2 + (this.sampleSize + 1) * 4; // per-tree DiVector scratch (forest, visitors), visitor path
    return b;
  }

  // ---------------------------------------------------------------------- state

  /** Full state: JSON-safe params plus named typed arrays (copies). */
  toState(): RcfState {
    const arrays: Record<string, RcfArray> = {};
    for (const [k, v] of Object.entries(this.nodes.toArrays())) arrays[k] = v.slice();
    arrays.pointValues = this.points.values.slice();
    arrays.pointRefCount = this.points.refCount.slice();
    arrays.pointFree = this.points.free.slice();
    arrays.prng = this.prng.getState();
    arrays.treePrng = new Uint32Array(this.treePrngWords);
    if (this.ring) {
      arrays.ring = this.ring.ring.slice();
      arrays.ringLeaf = this.ring.leaf.slice();
    }
    if (this.heaps) {
      arrays.heapPoint = this.heaps.point.slice();
      arrays.heapLeaf = this.heaps.leaf.slice();
      arrays.heapWeight = this.heaps.weight.slice();
      arrays.heapCount = this.heaps.count.slice();
    }
    const params: RcfParams = {
      formatVersion: 2,
      dimensions: this.dimensions,
      numTrees: this.numTrees,
      sampleSize: this.sampleSize,
      sampling: this.sampling,
      timeDecay: this.timeDecay,
      seed: this.seed,
      outputAfter: this.outputAfter,
      updates: this.updatesSeen,
      fitted: this.fitted,
      ringStart: this.ring ? this.ring.start : 0,
      ringCount: this.ring ? this.ring.count : 0,
      pointFreeCount: this.points.freeCount,
    };
    return { params, arrays };
  }

  /** Restores a forest saved by toState(); it continues exactly where the saved one stopped. */
  static fromState(state: RcfState): RandomCutForest {
    if (!state || typeof state !== 'object' || !state.params || !state.arrays) {
      throw new Error('RandomCutForest.fromState: expected { params, arrays }');
    }
    const p = state.params;
    if (p.formatVersion !== 2) {
      const why = (p.formatVersion as number) === 1 ? ' (saved by an older engine whose trees shared one random stream; retrain the model)' : '';
      throw new Error(`RandomCutForest.fromState: unsupported formatVersion ${String(p.formatVersion)} (expected 2)${why}`);
    }
    const f = new RandomCutForest({
      dimensions: p.dimensions,
      numTrees: p.numTrees,
      sampleSize: p.sampleSize,
      sampling: p.sampling,
      timeDecay: p.timeDecay,
      seed: p.seed,
      outputAfter: p.outputAfter,
    });
    checkInt('params.updates', p.updates, 0, Number.MAX_SAFE_INTEGER);
    const a = state.arrays as Record<string, unknown>;
    const copies: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(a)) copies[k] = ArrayBuffer.isView(v) ? (v as RcfArray).slice() : v;
    f.nodes.loadArrays(copies);
    const values = copies.pointValues;
    const refCount = copies.pointRefCount;
    const free = copies.pointFree;
    if (!(values instanceof Float64Array) || !(refCount instanceof Int32Array) || !(free instanceof Int32Array)) {
      throw new Error(`RandomCutForest.fromState: point store arrays missing or of the wrong type (pointValues: ${describe(values)}, pointRefCount: ${describe(refCount)}, pointFree: ${describe(free)})`);
    }
    f.points = PointStore.fromArrays(p.dimensions, values, refCount, free, p.pointFreeCount, f.kernel?.points ?? null);
    f.nodes.rehashLeaves(f.points);
    const prng = copies.prng;
    if (!(prng instanceof Uint32Array) || prng.length !== 4) throw new Error(`RandomCutForest.fromState: prng must be a Uint32Array of 4 words, got ${describe(prng)}`);
    f.prng.setState(prng);
    const tp = copies.treePrng;
    if (!(tp instanceof Uint32Array) || tp.length !== 4 * p.numTrees) {
      throw new Error(`RandomCutForest.fromState: treePrng must be a Uint32Array of ${4 * p.numTrees} words (4 per tree), got ${describe(tp)}`);
    }
    for (let i = 0; i < tp.length; i++) f.treePrngWords[i] = tp[i]! | 0;
    if (f.ring) {
      const ring = copies.ring;
      if (!(ring instanceof Int32Array) || ring.length !== p.sampleSize) throw new Error(`RandomCutForest.fromState: ring must be an Int32Array of length ${p.sampleSize}, got ${describe(ring)}`);
      const ringLeaf = copies.ringLeaf;
      if (!(ringLeaf instanceof Int32Array) || ringLeaf.length !== p.sampleSize * p.numTrees) {
        throw new Error(`RandomCutForest.fromState: ringLeaf must be an Int32Array of length ${p.sampleSize * p.numTrees}, got ${describe(ringLeaf)}`);
      }
      f.ring.leaf = ringLeaf;
      checkInt('params.ringStart', p.ringStart, 0, p.sampleSize - 1);
      checkInt('params.ringCount', p.ringCount, 0, p.sampleSize);
      f.ring.ring = ring;
      f.ring.start = p.ringStart;
      f.ring.count = p.ringCount;
    }
    if (f.heaps) {
      const hp = copies.heapPoint;
      const hw = copies.heapWeight;
      const hc = copies.heapCount;
      const hl = copies.heapLeaf;
      const n = p.numTrees * p.sampleSize;
      if (!(hp instanceof Int32Array) || hp.length !== n || !(hl instanceof Int32Array) || hl.length !== n || !(hw instanceof Float64Array) || hw.length !== n || !(hc instanceof Int32Array) || hc.length !== p.numTrees) {
        throw new Error(`RandomCutForest.fromState: decay sample arrays must be heapPoint and heapLeaf Int32Array(${n}), heapWeight Float64Array(${n}), heapCount Int32Array(${p.numTrees}); got ${describe(hp)}, ${describe(hl)}, ${describe(hw)}, ${describe(hc)}`);
      }
      f.heaps.point = hp;
      f.heaps.leaf = hl;
      f.heaps.weight = hw;
      f.heaps.count = hc;
    }
    f.updatesSeen = p.updates;
    f.fitted = p.fitted === true;
    f.visitors = new TreeVisitors(f.nodes, f.log2p1, f.kernel);
    return f;
  }

  // -------------------------------------------------------------------- private

  private load(point: ArrayLike<number>, where: string, into: Float64Array = this.q): Float64Array {
    if (point == null || typeof point.length !== 'number') {
      throw new Error(`RandomCutForest.${where}: expected an array of ${this.dimensions} numbers, got ${point === null ? 'null' : typeof point}`);
    }
    if (point.length !== this.dimensions) {
      throw new Error(`RandomCutForest.${where}: point has ${point.length} values, expected ${this.dimensions} (dimensions)`);
    }
    const q = into;
    for (let d = 0; d < this.dimensions; d++) {
      const v = point[d]!;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new Error(`RandomCutForest.${where}: value at index ${d} is ${String(v)}; every coordinate must be a finite number (impute missing values first)`);
      }
      q[d] = v === 0 ? 0 : v; // -0 -> 0: equal points must be stored identically
    }
    return q;
  }

  private assertStreaming(): void {
    if (this.fitted) throw new Error('RandomCutForest.update: this forest was built by fit() (batch) and does not stream; use a new forest for streaming');
  }

  private checkDiVector(o: DiVector, where: string): void {
    if (!o || !(o.high instanceof Float64Array) || !(o.low instanceof Float64Array) || o.high.length !== this.dimensions || o.low.length !== this.dimensions) {
      throw new Error(`RandomCutForest.${where}: out must be { high, low } Float64Arrays of length ${this.dimensions}`);
    }
  }

  private checkMatrix(X: Matrix, where: string): void {
    if (!X || !(X.data instanceof Float64Array)) throw new Error(`RandomCutForest.${where}: expected a Matrix { data: Float64Array, rows, cols }`);
    if (X.cols !== this.dimensions) throw new Error(`RandomCutForest.${where}: matrix has ${X.cols} columns, expected ${this.dimensions} (dimensions)`);
    if (!(X.rows >= 1)) throw new Error(`RandomCutForest.${where}: matrix has no rows`);
    if (X.data.length !== X.rows * X.cols) throw new Error(`RandomCutForest.${where}: data has ${X.data.length} values, expected rows*cols = ${X.rows * X.cols}`);
    for (let i = 0; i < X.data.length; i++) {
      if (!Number.isFinite(X.data[i]!)) {
        throw new Error(`RandomCutForest.${where}: value at row ${Math.floor(i / X.cols)}, column ${i % X.cols} is ${X.data[i]}; impute missing values first`);
      }
    }
  }

  private scoreLoaded(q: Float64Array): number {
    let s = 0;
    const v = this.visitors;
    const h = hashPoint(q, 0, this.dimensions);
    for (let t = 0; t < this.numTrees; t++) {
      v.scoreTree(t, q, h, this.points);
      s += v.lastScore;
    }
    return s / this.numTrees;
  }

  private attributeLoaded(q: Float64Array, out: DiVector): number {
    out.high.fill(0);
    out.low.fill(0);
    if (!this.isReady) return 0;
    const w = 1 / this.numTrees;
    let s = 0;
    const h = hashPoint(q, 0, this.dimensions);
    for (let t = 0; t < this.numTrees; t++) s += this.visitors.attribution(t, q, h, this.points, w, out.high, out.low);
    return s / this.numTrees;
  }

  /** The chunk scratch, grown (to a power of two, at most `chunk` rows) for a call of `rows` rows. */
  private chunkScratch(rows: number): ChunkScratch {
    const want = Math.min(this.chunk, rows);
    if (this.cs.size < want) {
      let size = this.cs.size;
      while (size < want) size *= 2;
      this.cs = new ChunkScratch(Math.min(size, this.chunk), this.dimensions, this.kernel);
    }
    return this.cs;
  }

  /**
   * The read-only walk of chunk row k on tree t (a tree that does not take the
   * point): its tree score, and with `withAttr` its DiVector, added to the row's sums.
   */
  private walkChunkRow(t: number, k: number, withAttr: boolean): void {
    const cs = this.cs;
    if (withAttr) {
      const w = 1 / this.numTrees;
      cs.cScore[k] = cs.cScore[k]! + this.visitors.attribution(t, cs.cqRow[k]!, cs.cHash[k]!, this.points, w, cs.cHighRow[k]!, cs.cLowRow[k]!);
    } else {
      this.visitors.scoreTree(t, cs.cqRow[k]!, cs.cHash[k]!, this.points);
      cs.cScore[k] = cs.cScore[k]! + this.visitors.lastScore;
    }
  }

  /**
   * walkChunkRow for the n rows listed in the kernel's chunkList, in one kernel
   * call (tree t does not change between them: decay streaming collects the
   * points a tree does not take up to its next insert). Rows whose leaf may
   * hold them take the JS walk, which decides (rare). Returns 0 (the list is done).
   */
  private walkChunkRows(t: number, n: number, withAttr: boolean): number {
    const kernel = this.kernel!;
    const deferred = kernel.walkRows(t, n, withAttr ? 1 / this.numTrees : null);
    for (let j = 0; j < deferred; j++) this.walkChunkRow(t, kernel.chunkList[j]!, withAttr);
    return 0;
  }

  /**
   * Streams the chunk's first n points (cq rows), tree by tree: each tree
   * forgets what its sampling drops (window: the oldest point; decay: its
   * largest weight, when it takes the point), then scores the point and inserts
   * it in one walk. Leaves in cScore[k] the sum over trees of point k's
   * scaled tree scores (the forest score times numTrees) against the trees
   * after forgetting and before inserting, and with `withAttr` its DiVector in
   * cHigh/cLow row k. Per tree the operations happen in the same order as point
   * by point, and each tree draws from its own stream, so the forest ends in
   * the same state as n single steps.
   */
  private runChunk(n: number, withAttr: boolean): void {
    const points = this.points;
    const nodes = this.nodes;
    const log2p1 = this.log2p1;
    const dims = this.dimensions;
    const T = this.numTrees;
    const w = 1 / T;
    const cs = this.cs;
    const cqRow = cs.cqRow;
    const cIdx = cs.cIdx;
    const sc = cs.cScore;
    const hiRow = cs.cHighRow;
    const loRow = cs.cLowRow;
    sc.fill(0, 0, n);
    if (withAttr) {
      cs.cHigh.fill(0, 0, n * dims);
      cs.cLow.fill(0, 0, n * dims);
    }
    const at = withAttr ? this.treeAttr : null;
    if (this.ring) {
      const ring = this.ring;
      const ringLeaf = ring.leaf;
      const cDel = cs.cDel;
      const cSlot = cs.cSlot;
      const oldRow = cs.cOldRow;
      // Sampler bookkeeping, point by point: which point each step evicts (the
      // ring's oldest; n <= sampleSize, so always one stored before the chunk),
      // and the ring slot the new point takes (the evicted one's). The ring keeps
      // its reference to an evicted point until the chunk is done, so its values
      // stay in the store while the trees delete it.
      for (let k = 0; k < n; k++) {
        let del = -1;
        if (ring.full) {
          del = ring.oldest();
          const o = oldRow[k]!;
          const pv = points.values;
          for (let d = 0; d < dims; d++) o[d] = pv[del * dims + d]!;
        }
        cDel[k] = del;
        const idx = points.add(cqRow[k]!);
        points.acquire(idx);
        cIdx[k] = idx;
        cSlot[k] = ring.push(idx);
      }
      for (let t = 0; t < T; t++) {
        const prng = this.treePrng[t]!;
        for (let k = 0; k < n; k++) {
          const li = cSlot[k]! * T + t;
          if (cDel[k]! >= 0) {
            const rel = nodes.delete(t, oldRow[k]!, points, ringLeaf[li]!);
            if (rel >= 0) points.release(rel);
          }
          const idx = cIdx[k]!;
          if (nodes.insert(t, cqRow[k]!, idx, points, prng, at)) points.acquire(idx);
          ringLeaf[li] = nodes.lastLeaf;
          const norm = log2p1[nodes.lastMass]!;
          sc[k] = sc[k]! + nodes.lastScore * norm;
          if (at) addAttribution(at, w * norm, hiRow[k]!, loRow[k]!);
        }
      }
      for (let k = 0; k < n; k++) if (cDel[k]! >= 0) points.release(cDel[k]!);
    } else {
      const heaps = this.heaps!;
      const old = this.old;
      // Every chunk point is stored up front and held (one reference) until the
      // chunk is done, so a point a tree evicts within the chunk keeps its slot;
      // the ones no tree took go back to the free list at the end.
      const cHash = cs.cHash;
      for (let k = 0; k < n; k++) {
        const idx = points.add(cqRow[k]!);
        points.acquire(idx);
        cIdx[k] = idx;
        cHash[k] = hashPoint(cqRow[k]!, 0, dims);
      }
      const seen = this.updatesSeen;
      // With the kernel, the read-only walks of the points a tree does not take
      // are collected and walked together in one kernel call, up to the next
      // point it takes (the tree does not change in between); each point still
      // adds one score per tree, in tree order, so the sums are the same.
      const list = this.kernel !== null && points.inKernel ? this.kernel.chunkList : null;
      let pending = 0;
      for (let t = 0; t < T; t++) {
        const prng = this.treePrng[t]!;
        for (let k = 0; k < n; k++) {
          const q = cqRow[k]!;
          const u = (prng.nextUint32() + 0.5) / 4294967296;
          const fastReject = u < heaps.rejectBelow(t, seen + k, this.timeDecay);
          const weight = fastReject ? Infinity : -this.timeDecay * (seen + k) + detLn(-detLn(u));
          if (fastReject || !heaps.accepts(t, weight)) {
            if (list !== null) list[pending++] = k;
            else this.walkChunkRow(t, k, withAttr);
            continue;
          }
          if (pending > 0) pending = this.walkChunkRows(t, pending, withAttr);
          const ev = heaps.evictCandidate(t);
          if (ev >= 0) {
            const pv = points.values;
            for (let d = 0; d < dims; d++) old[d] = pv[ev * dims + d]!;
            const rel = nodes.delete(t, old, points, heaps.evictLeaf(t));
            if (rel >= 0) points.release(rel);
            points.release(ev);
          }
          const idx = cIdx[k]!;
          if (nodes.insert(t, q, idx, points, prng, at)) points.acquire(idx);
          const norm = log2p1[nodes.lastMass]!;
          sc[k] = sc[k]! + nodes.lastScore * norm;
          if (at) addAttribution(at, w * norm, hiRow[k]!, loRow[k]!);
          heaps.push(t, idx, weight, nodes.lastLeaf);
          points.acquire(idx);
        }
        if (pending > 0) pending = this.walkChunkRows(t, pending, withAttr);
      }
      for (let k = 0; k < n; k++) points.release(cIdx[k]!);
    }
    this.updatesSeen += n;
  }
}

/**
 * Points the kernel's memory has room for (kernel/walk-kernel.ts): the point
 * store's capacity doubles from its initial one (see the constructor), so the
 * region is the first of those capacities that holds what streaming keeps in
 * practice: one sample of sampleSize per tree (distinct at most numTrees x
 * sampleSize) plus a chunk's points held until it is done. fit() stores at most
 * numTrees x sampleSize rows. Duplicates can make leaves keep points no sample
 * holds; a store that outgrows the region moves out of it and the forest
 * takes the JS walks (the same results).
 */
function kernelPointCapacity(sampling: SamplingMode, numTrees: number, sampleSize: number, chunk: number): number {
  let cap = sampling === 'window' ? 2 * sampleSize : Math.min(4 * sampleSize, numTrees * sampleSize);
  while (cap < numTrees * sampleSize + chunk) cap *= 2;
  return cap;
}

function checkInt(name: string, v: unknown, lo: number, hi: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new Error(`RandomCutForest: ${name} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  }
}
