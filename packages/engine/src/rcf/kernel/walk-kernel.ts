/**
 * The WebAssembly SIMD walks of a Random Cut Forest (walk-kernel.wat) and the
 * memory they read.
 *
 * Why: the read-only walks (a tree's score of a point, and its DiVector) are
 * most of the forest's time: in batch scoring with attribution ~85% of a
 * scored record, in decay streaming every tree that does not take the point.
 * In JavaScript a walk's box test runs dimension by dimension with a branch
 * each; the kernel tests two dimensions per instruction without branches and
 * measured 3-4x faster per walk at 12-20 dimensions. It also does insert's
 * walk, the box updates of insert and delete, and the imputation walk of
 * expectedPoint; the cut choice, node allocation, samplers and PRNGs stay in
 * JS. Streaming: docs/results/bench.md (rows with and without the kernel).
 *
 * Memory: one WebAssembly.Memory per forest, of a size fixed at construction
 * (it never grows, so no view of it is ever detached). The NodeStore's arrays,
 * the point values, the chunk buffers of the batched calls and the kernel's
 * scratch are views into it, so JS code and the kernel read the same arrays
 * and nothing is copied per call. The point store may outgrow its region only
 * in a case the bound below excludes; it then moves to a plain array and the
 * forest takes the JS walks (same results, slower).
 *
 * Results: the kernel does the JS walks' operations in the same order
 * (visitors.ts is the reference), so scores and DiVectors are the same bits
 * with or without it, in Node and in browsers. Where WebAssembly cannot be
 * compiled (no WebAssembly, or a page's Content-Security-Policy without
 * 'wasm-unsafe-eval'), forests use the JS walks; `walkKernelStatus()` says
 * which and why.
 */
import { WALK_KERNEL_WASM } from './walk-kernel.wasm.ts';

interface KernelExports {
  setup(
    node: number, box: number, rsum: number, leaf: number, mass: number, root: number, log2p1: number, pv: number, path: number, ah: number, al: number, dims: number,
    gapAt: number, sumAt: number, res: number, km: number, ones: number,
  ): void;
  scoreTree(t: number, q: number, qHash: number): number;
  attribution(t: number, q: number, qHash: number, weight: number, outHigh: number, outLow: number): number;
  imputeLeaf(t: number, q: number): number;
  insertWalk(t: number, q: number, withAttr: number): number;
  growPath(q: number, from: number, to: number): void;
  shrinkUp(n: number): void;
  scoreRows(t: number, n: number, rows: number, q0: number, hash0: number, out0: number): number;
  attributionRows(t: number, n: number, rows: number, q0: number, hash0: number, out0: number, weight: number, high0: number, low0: number): number;
}

/** What a forest needs room for. */
export interface WalkKernelLayout {
  readonly dims: number;
  readonly numTrees: number;
  readonly sampleSize: number;
  /** Most rows of a batched call's chunk. */
  readonly chunkRows: number;
  /** Most points the point store can hold before it leaves the kernel's memory. */
  readonly pointCapacity: number;
}

let compiled: WebAssembly.Module | null | undefined;
let unavailable = '';
let enabled = true;

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function compiledModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    if (typeof WebAssembly !== 'object') throw new Error('WebAssembly unavailable: this runtime has no WebAssembly');
    // Synchronous compile: the module is under the 4 KB browsers allow on a page's main thread.
    compiled = new WebAssembly.Module(decodeBase64(WALK_KERNEL_WASM) as BufferSource);
  } catch (e) {
    // Not an error of the caller's: the forest runs the JS walks instead (same results).
    compiled = null;
    const why = e instanceof Error ? e.message : String(e);
    unavailable = why.startsWith('WebAssembly unavailable') ? why : `WebAssembly unavailable: ${why}`;
  }
  return compiled;
}

/**
 * Whether new forests walk their trees with the WebAssembly kernel, and if not, why.
 * `reason` is empty when the kernel is in use.
 */
export function walkKernelStatus(): { kernel: 'wasm' | 'js'; reason: string } {
  if (!enabled) return { kernel: 'js', reason: 'turned off by setWalkKernelEnabled(false)' };
  return compiledModule() ? { kernel: 'wasm', reason: '' } : { kernel: 'js', reason: unavailable };
}

/**
 * Turns the kernel off (or on again) for forests created from now on; the JS
 * walks give the same results. For tests that compare the two, and for
 * measuring.
 */
export function setWalkKernelEnabled(on: boolean): void {
  enabled = on;
}

/** The most a forest's kernel memory may take: a 32-bit WebAssembly memory's 4 GiB, less a page. */
const MAX_MEMORY_BYTES = 65535 * 65536;

/** Bump allocation of byte ranges, 16-byte aligned (f64x2 loads). */
class Layout {
  size = 0;
  take(bytes: number): number {
    const at = (this.size + 15) & ~15;
    this.size = at + bytes;
    return at;
  }
}

/** Byte ranges of a forest's kernel memory (16-byte aligned), and its total size. */
function layout(l: WalkKernelLayout) {
  const { dims, numTrees: T, sampleSize: S } = l;
  const ni = T * Math.max(1, S - 1);
  const nl = T * S;
  const a = new Layout();
  const at = {
    node: a.take(ni * 32), box: a.take(ni * 2 * dims * 8), rsum: a.take(ni * 8), leaf: a.take(nl * 16),
    mass: a.take(T * 4), root: a.take(T * 4), log2p1: a.take((S + 2) * 8), path: a.take((S + 1) * 4),
    ah: a.take(dims * 8), al: a.take(dims * 8), q: a.take(dims * 8), outHigh: a.take(dims * 8), outLow: a.take(dims * 8),
    gapAt: a.take((S + 1) * 8), sumAt: a.take((S + 1) * 8), res: a.take(32), km: a.take(dims * 8), ones: a.take(dims * 8),
    chunkQ: a.take(l.chunkRows * dims * 8), chunkHigh: a.take(l.chunkRows * dims * 8), chunkLow: a.take(l.chunkRows * dims * 8),
    chunkHash: a.take(l.chunkRows * 4), chunkScore: a.take(l.chunkRows * 8), chunkList: a.take(l.chunkRows * 4),
    points: a.take(l.pointCapacity * dims * 8),
  };
  return { ...at, size: a.size };
}

export class WalkKernel {
  readonly buffer: ArrayBuffer;
  /** NodeStore arrays (see NodeStore for their layout). */
  readonly node: Int32Array;
  readonly nodeF: Float64Array;
  readonly box: Float64Array;
  readonly rsum: Float64Array;
  readonly leaf: Int32Array;
  readonly mass: Int32Array;
  readonly root: Int32Array;
  readonly log2p1: Float64Array;
  /** The point store's region: `pointCapacity` points of `dims` values. */
  readonly points: Float64Array;
  /** One query point, and DiVector rows, for walks whose caller's arrays live elsewhere. */
  readonly q: Float64Array;
  readonly outHigh: Float64Array;
  readonly outLow: Float64Array;
  /** NodeStore.insert's path and per-level gaps and merged side sums, filled by insertWalk. */
  readonly path: Int32Array;
  readonly gapAt: Float64Array;
  readonly sumAt: Float64Array;
  /** insertWalk's results: [top, leaf reference]; [-, score, sum, DiVector scale] (attrScale is the last). */
  readonly walkTop: Int32Array;
  readonly walkScore: Float64Array;
  /** The DiVector scratch of insertWalk (an AttrScratch's high, low and scale; see attribution.ts). */
  readonly attrHigh: Float64Array;
  readonly attrLow: Float64Array;
  readonly attrScale: Float64Array;
  /** Chunk buffers of the batched calls: chunkRows rows of dims values each. */
  readonly chunkQ: Float64Array;
  readonly chunkHigh: Float64Array;
  readonly chunkLow: Float64Array;
  /** Per chunk row: its point hash and its score sum; and a list of rows for scoreRows / attributionRows. */
  readonly chunkHash: Int32Array;
  readonly chunkScore: Float64Array;
  readonly chunkList: Int32Array;
  readonly dims: number;
  private readonly k: KernelExports;
  private readonly known: Int32Array;

  /**
   * The kernel for a forest of this layout, or null (the forest takes the JS
   * walks) where WebAssembly is unavailable or turned off, where the layout
   * needs more than `maxBytes` (a 32-bit WebAssembly memory addresses 4 GiB),
   * or where the runtime cannot reserve the memory.
   */
  static create(l: WalkKernelLayout, maxBytes = MAX_MEMORY_BYTES): WalkKernel | null {
    if (!enabled) return null;
    const mod = compiledModule();
    if (!mod) return null;
    const at = layout(l);
    if (at.size > maxBytes) return null;
    let memory: WebAssembly.Memory;
    try {
      // Fixed size (initial = maximum): the buffer is never replaced, so views stay valid.
      const pages = Math.max(1, Math.ceil(at.size / 65536));
      memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    } catch {
      // Out of address space or memory for this forest: the JS walks need less (no point region).
      return null;
    }
    return new WalkKernel(mod, l, at, memory);
  }

  private constructor(mod: WebAssembly.Module, l: WalkKernelLayout, at: ReturnType<typeof layout>, memory: WebAssembly.Memory) {
    const { dims, numTrees: T, sampleSize: S } = l;
    const ni = T * Math.max(1, S - 1);
    const nl = T * S;
    const inst = new WebAssembly.Instance(mod, { env: { memory } });
    this.k = inst.exports as unknown as KernelExports;
    const b = memory.buffer;
    this.buffer = b;
    this.dims = dims;
    this.node = new Int32Array(b, at.node, ni * 8);
    this.nodeF = new Float64Array(b, at.node, ni * 4);
    this.box = new Float64Array(b, at.box, ni * 2 * dims);
    this.rsum = new Float64Array(b, at.rsum, ni);
    this.leaf = new Int32Array(b, at.leaf, nl * 4);
    this.mass = new Int32Array(b, at.mass, T);
    this.root = new Int32Array(b, at.root, T);
    this.log2p1 = new Float64Array(b, at.log2p1, S + 2);
    this.points = new Float64Array(b, at.points, l.pointCapacity * dims);
    this.q = new Float64Array(b, at.q, dims);
    this.outHigh = new Float64Array(b, at.outHigh, dims);
    this.outLow = new Float64Array(b, at.outLow, dims);
    this.chunkQ = new Float64Array(b, at.chunkQ, l.chunkRows * dims);
    this.chunkHigh = new Float64Array(b, at.chunkHigh, l.chunkRows * dims);
    this.chunkLow = new Float64Array(b, at.chunkLow, l.chunkRows * dims);
    this.chunkHash = new Int32Array(b, at.chunkHash, l.chunkRows);
    this.chunkScore = new Float64Array(b, at.chunkScore, l.chunkRows);
    this.chunkList = new Int32Array(b, at.chunkList, l.chunkRows);
    this.path = new Int32Array(b, at.path, S + 1);
    this.gapAt = new Float64Array(b, at.gapAt, S + 1);
    this.sumAt = new Float64Array(b, at.sumAt, S + 1);
    this.walkTop = new Int32Array(b, at.res, 2);
    this.walkScore = new Float64Array(b, at.res, 4);
    this.attrHigh = new Float64Array(b, at.ah, dims);
    this.attrLow = new Float64Array(b, at.al, dims);
    this.attrScale = new Float64Array(b, at.res + 24, 1);
    // Dimension masks of the gap sums (two int32 halves of an i64 each): every
    // dimension (-1s), and imputeLeaf's known ones (set per call).
    this.known = new Int32Array(b, at.km, 2 * dims);
    new Int32Array(b, at.ones, 2 * dims).fill(-1);
    this.k.setup(at.node, at.box, at.rsum, at.leaf, at.mass, at.root, at.log2p1, at.points, at.path, at.ah, at.al, dims, at.gapAt, at.sumAt, at.res, at.km, at.ones);
  }

  /**
   * The read-only first half of NodeStore.insert on non-empty tree t for the
   * point at byte address q: path, gapAt/sumAt per level, walkTop = [top, leaf
   * reference], walkScore = [-, score, sum, scale] and, with withAttr, the
   * DiVector in attrHigh/attrLow. Returns the depth, or -1 when q equals the
   * leaf's point (the JS insert handles a duplicate).
   */
  insertWalk(t: number, q: number, withAttr: boolean): number {
    return this.k.insertWalk(t, q, withAttr ? 1 : 0);
  }

  /** NodeStore.insert's last step: the boxes of path[from..to) grow to take the point at byte address q (rsum too). */
  growPath(q: number, from: number, to: number): void {
    this.k.growPath(q, from, to);
  }

  /** NodeStore.delete's last step: from node n up, boxes become their children's union again (rsum too), until one is unchanged. */
  shrinkUp(n: number): void {
    this.k.shrinkUp(n);
  }

  /**
   * The read-only walks on tree t of the chunk rows listed in chunkList[0..n)
   * (the tree unchanged between them): chunkScore[k] += the tree's score of
   * chunk row k (chunkQ, hash chunkHash[k]), as scoreTree; with `weight`, also
   * its DiVector x weight x log2(treeMass + 1) into chunkHigh/chunkLow row k,
   * as attribution. Rows whose leaf may hold them are listed again from
   * chunkList[0] for the JS walk; returns how many.
   */
  walkRows(t: number, n: number, weight: number | null): number {
    const k = this.k;
    const q0 = this.chunkQ.byteOffset;
    if (weight === null) return k.scoreRows(t, n, this.chunkList.byteOffset, q0, this.chunkHash.byteOffset, this.chunkScore.byteOffset);
    return k.attributionRows(t, n, this.chunkList.byteOffset, q0, this.chunkHash.byteOffset, this.chunkScore.byteOffset, weight, this.chunkHigh.byteOffset, this.chunkLow.byteOffset);
  }

  /**
   * TreeVisitors.imputeLeaf on tree t for the point at byte address q whose
   * dimensions `missing` are to be imputed: the winning leaf's point index, or
   * -1 for an empty tree.
   */
  imputeLeaf(t: number, q: number, missing: ArrayLike<number>): number {
    const m = this.known;
    m.fill(-1);
    for (let k = 0; k < missing.length; k++) {
      m[2 * missing[k]!] = 0;
      m[2 * missing[k]! + 1] = 0;
    }
    return this.k.imputeLeaf(t, q);
  }

  /** Whether `a` is a view into this kernel's memory (so the kernel can read it by address). */
  holds(a: Float64Array): boolean {
    return a.buffer === this.buffer;
  }

  /**
   * TreeVisitors.scoreTree of the point at byte address q (with hashPoint qHash):
   * the tree's scaled score, or -1 where the leaf reached may hold q (a
   * duplicate: the caller takes the JS walk, which decides and scores it).
   */
  scoreTree(t: number, q: number, qHash: number): number {
    return this.k.scoreTree(t, q, qHash);
  }

  /**
   * TreeVisitors.attribution of the point at byte address q: adds the tree's
   * DiVector x weight x log2(treeMass + 1) into the rows at byte addresses
   * outHigh/outLow and returns the tree's scaled score; -1 (nothing added) as
   * scoreTree.
   */
  attribution(t: number, q: number, qHash: number, weight: number, outHigh: number, outLow: number): number {
    return this.k.attribution(t, q, qHash, weight, outHigh, outLow);
  }
}
