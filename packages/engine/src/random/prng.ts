/**
 * Seeded pseudo-random numbers, identical in Node and in every browser.
 *
 * Algorithm: xoshiro128** (Blackman & Vigna, 2018) on four 32-bit words, seeded
 * by running splitmix32 over the 32-bit seed. Only 32-bit integer arithmetic
 * (`Math.imul`, shifts, `>>> 0`) is used, so the stream does not depend on the
 * engine's floating-point or on `Math.random`. A given seed gives the same
 * sequence, and therefore the same model, everywhere.
 */
export class Prng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Prng: seed must be a finite number, got ${seed}`);
    let x = (Math.trunc(seed) >>> 0) ^ 0x9e3779b9;
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3 >>> 0, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). Unbiased (rejection sampling). */
  nextInt(n: number): number {
    if (!(n > 0) || n > 0x100000000) throw new Error(`Prng.nextInt: n must be in (0, 2^32], got ${n}`);
    if (n === 0x100000000) return this.nextUint32();
    const limit = 0x100000000 - (0x100000000 % n);
    let r = this.nextUint32();
    while (r >= limit) r = this.nextUint32();
    return r % n;
  }

  /** Uniform double in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal deviate (Box-Muller; uses two uniforms per call, no cached spare, so state stays 4 words). */
  normal(): number {
    let u = this.next();
    while (u <= 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** The four state words, for saving a stream mid-way. */
  getState(): Uint32Array {
    return Uint32Array.of(this.s0, this.s1, this.s2, this.s3);
  }

  /** Restores state saved by {@link getState}. */
  setState(state: ArrayLike<number>): void {
    if (state.length !== 4) throw new Error(`Prng.setState: expected 4 words, got ${state.length}`);
    this.s0 = state[0]! >>> 0;
    this.s1 = state[1]! >>> 0;
    this.s2 = state[2]! >>> 0;
    this.s3 = state[3]! >>> 0;
  }

  /** A new generator whose seed is drawn from this one (for per-tree streams). */
  fork(): Prng {
    return new Prng(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
