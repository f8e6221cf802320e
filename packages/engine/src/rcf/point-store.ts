/**
 * The one copy of every point the forest holds. Trees and samplers refer to a
 * point by its index here, never by a copy, so a point kept by all 100 trees
 * costs `dimensions` doubles once. Entries are reference counted: a tree leaf
 * holds one reference, a sampler slot (window ring or a tree's decay sample)
 * holds one; at zero the slot goes back on the free list.
 *
 * Growth (doubling) is the only allocation, and it is rare: the window mode
 * needs at most about 2 x sampleSize slots, the decay mode settles at the
 * number of distinct points across the trees' samples.
 */
const hashF64 = new Float64Array(1);
const hashI32 = new Int32Array(hashF64.buffer);

/**
 * A 32-bit hash of the exact values of point[offset .. offset+dims) (-0 and 0
 * hash alike, as they compare equal). Equal points hash equal, so a leaf
 * whose stored hash differs from a query's cannot hold the query: the walks
 * test that before reading the leaf's point, which lives far from the tree's
 * nodes in memory (a cache miss per tree otherwise). Only ever compared within
 * one process, so the platform's byte order does not matter.
 */
export function hashPoint(point: ArrayLike<number>, offset: number, dims: number): number {
  let h = 0x9e3779b9 | 0;
  for (let d = 0; d < dims; d++) {
    hashF64[0] = point[offset + d]! + 0;
    h = Math.imul(h ^ hashI32[0]!, 0x85ebca6b);
    h = Math.imul(h ^ hashI32[1]!, 0xc2b2ae35);
    h ^= h >>> 15;
  }
  return h;
}

export class PointStore {
  readonly dims: number;
  values: Float64Array;
  refCount: Int32Array;
  /** Stack of free slot indices; the top is `free[freeCount - 1]`. */
  free: Int32Array;
  freeCount: number;

  /**
   * Where the values live while they fit: a view of the walk kernel's memory
   * (kernel/walk-kernel.ts), so the kernel reads leaf points in place. Growth
   * within it only lengthens the view; beyond it the values move to a plain
   * array (inKernel turns false) and the forest takes the JS walks.
   */
  private readonly region: Float64Array | null;
  /** Whether `values` lies in the kernel's memory. */
  inKernel: boolean;

  constructor(dims: number, capacity: number, region: Float64Array | null = null) {
    if (!(capacity >= 1)) throw new Error(`PointStore: capacity must be >= 1, got ${capacity}`);
    this.dims = dims;
    this.region = region;
    this.inKernel = region !== null && capacity * dims <= region.length;
    this.values = this.inKernel ? region!.subarray(0, capacity * dims) : new Float64Array(capacity * dims);
    this.refCount = new Int32Array(capacity);
    this.free = new Int32Array(capacity);
    // Lowest index on top, so slots fill from 0 upward.
    for (let k = 0; k < capacity; k++) this.free[k] = capacity - 1 - k;
    this.freeCount = capacity;
  }

  get capacity(): number {
    return this.refCount.length;
  }

  /** Number of live points. */
  get size(): number {
    return this.capacity - this.freeCount;
  }

  /** Stores a copy of `point` (refCount 0 until acquired) and returns its index. */
  add(point: ArrayLike<number>): number {
    if (this.freeCount === 0) this.grow();
    const idx = this.free[--this.freeCount]!;
    const base = idx * this.dims;
    for (let d = 0; d < this.dims; d++) this.values[base + d] = point[d]!;
    this.refCount[idx] = 0;
    return idx;
  }

  acquire(idx: number): void {
    this.refCount[idx]!++;
  }

  release(idx: number): void {
    const c = --this.refCount[idx]!;
    if (c === 0) this.free[this.freeCount++] = idx;
    else if (c < 0) throw new Error(`PointStore.release: point ${idx} released more often than acquired`);
  }

  /** Whether the stored point `idx` equals `point` in every coordinate. */
  equals(idx: number, point: ArrayLike<number>): boolean {
    const base = idx * this.dims;
    const v = this.values;
    for (let d = 0; d < this.dims; d++) if (v[base + d] !== point[d]) return false;
    return true;
  }

  private grow(): void {
    const oldCap = this.capacity;
    const cap = oldCap * 2;
    let values: Float64Array;
    if (this.inKernel && cap * this.dims <= this.region!.length) {
      values = this.region!.subarray(0, cap * this.dims); // the same memory, longer
    } else {
      values = new Float64Array(cap * this.dims);
      values.set(this.values);
      this.inKernel = false;
    }
    const refCount = new Int32Array(cap);
    refCount.set(this.refCount);
    const free = new Int32Array(cap);
    // Called only when the stack is empty: the new slots, lowest on top.
    for (let k = 0; k < cap - oldCap; k++) free[k] = cap - 1 - k;
    this.values = values;
    this.refCount = refCount;
    this.free = free;
    this.freeCount = cap - oldCap;
  }

  /** Bytes of the arrays, each counted by `count` (as NodeStore.byteLength). */
  byteLength(count: (a: ArrayBufferView) => number = (a) => a.byteLength): number {
    return count(this.values) + count(this.refCount) + count(this.free);
  }

  /** Restores arrays saved from another store (taken as they are, not copied). */
  static fromArrays(dims: number, values: Float64Array, refCount: Int32Array, free: Int32Array, freeCount: number, region: Float64Array | null = null): PointStore {
    const cap = refCount.length;
    if (values.length !== cap * dims || free.length !== cap || !(freeCount >= 0 && freeCount <= cap)) {
      throw new Error(`PointStore.fromArrays: inconsistent sizes (values ${values.length}, refCount ${cap}, free ${free.length}, freeCount ${freeCount}, dims ${dims})`);
    }
    const s = new PointStore(dims, 1, region);
    if (s.inKernel && values.length <= region!.length) {
      s.values = region!.subarray(0, values.length);
      s.values.set(values);
    } else {
      s.values = values;
      s.inKernel = false;
    }
    s.refCount = refCount;
    s.free = free;
    s.freeCount = freeCount;
    return s;
  }
}
