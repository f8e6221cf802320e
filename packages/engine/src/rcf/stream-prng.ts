/**
 * The forest's random stream: the same xoshiro128** sequence as the project's
 * seeded `Prng` (random/prng.ts) -- it starts from `new Prng(seed)`'s state
 * words and gives bit-identical next(), nextUint32() and nextInt() results --
 * but keeps the four words as int32 in an Int32Array. Prng keeps them as
 * unsigned numbers in object fields, and words >= 2^31 are not small integers
 * for V8, so every step there converts through doubles; the insert walk draws
 * ~10 words per tree per point, which made that conversion visible in
 * profiles. All operations are 32-bit integer ops (Math.imul, shifts, xor), so
 * the output is the same in every engine. Tested against Prng in rcf.test.ts.
 */
import { Prng } from '../random/prng.ts';

/** xoshiro128**'s jump polynomial: jump() advances the state by 2^64 steps. */
const JUMP = [0x8764000b, 0xf542d2d3, 0x6fa035c3, 0x77f2db5b];

export class StreamPrng {
  /** xoshiro128** state words s0..s3 (int32 bit patterns of Prng's uint32 words). */
  private readonly s: Int32Array;

  /**
   * The stream of `new Prng(seed)`. With `words` (4 int32 words), the state
   * lives in that array (a view into a larger one, so many streams save as one
   * array) and is initialised from the seed all the same.
   */
  constructor(seed: number, words?: Int32Array) {
    if (words && words.length !== 4) throw new Error(`StreamPrng: words must hold 4 int32, got ${words.length}`);
    this.s = words ?? new Int32Array(4);
    this.setState(new Prng(seed).getState());
  }

  /**
   * One stream per tree: stream t is the seed's stream advanced by (t + 1) x 2^64
   * steps (xoshiro's jump(), the way its authors make non-overlapping streams),
   * its state in words[4t .. 4t+4). Trees that draw from their own stream can be
   * updated in any order -- tree by tree over a batch of points -- and still
   * give the same forest as point by point.
   */
  static perTree(seed: number, numTrees: number): { words: Int32Array; streams: StreamPrng[] } {
    const words = new Int32Array(4 * numTrees);
    const streams: StreamPrng[] = [];
    const master = new StreamPrng(seed);
    for (let t = 0; t < numTrees; t++) {
      master.jump();
      const s = new StreamPrng(seed, words.subarray(4 * t, 4 * t + 4));
      s.setState(master.getState());
      streams.push(s);
    }
    return { words, streams };
  }

  /** Advances the state by 2^64 steps (xoshiro128** jump()). */
  jump(): void {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    const s = this.s;
    for (let j = 0; j < 4; j++) {
      for (let b = 0; b < 32; b++) {
        if ((JUMP[j]! >>> b) & 1) {
          s0 ^= s[0]!;
          s1 ^= s[1]!;
          s2 ^= s[2]!;
          s3 ^= s[3]!;
        }
        this.nextInt32();
      }
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
  }

  /** Next raw 32-bit unsigned integer (Prng.nextUint32). */
  nextUint32(): number {
    return this.nextInt32() >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits (Prng.next). */
  next(): number {
    const hi = this.nextInt32() >>> 5; // 27 bits
    const lo = this.nextInt32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), unbiased (Prng.nextInt). */
  nextInt(n: number): number {
    if (!(n > 0) || n > 0x100000000) throw new Error(`StreamPrng.nextInt: n must be in (0, 2^32], got ${n}`);
    if (n === 0x100000000) return this.nextUint32();
    const limit = 0x100000000 - (0x100000000 % n);
    let r = this.nextUint32();
    while (r >= limit) r = this.nextUint32();
    return r % n;
  }

  /** The four state words, as Prng.getState() gives them. */
  getState(): Uint32Array {
    return new Uint32Array(this.s);
  }

  /** Restores words saved by getState() (or Prng.getState()). */
  setState(state: ArrayLike<number>): void {
    if (state.length !== 4) throw new Error(`StreamPrng.setState: expected 4 words, got ${state.length}`);
    for (let k = 0; k < 4; k++) this.s[k] = state[k]! | 0;
  }

  /** One xoshiro128** step; the result as an int32 bit pattern. */
  private nextInt32(): number {
    const s = this.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    let s2 = s[2]!;
    let s3 = s[3]!;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s[1] = s1 ^ s2;
    s[0] = s0 ^ s3;
    s[2] = s2 ^ t;
    s[3] = (s3 << 11) | (s3 >>> 21);
    return result;
  }
}
