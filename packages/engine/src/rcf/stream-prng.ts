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

export class StreamPrng {
  /** xoshiro128** state words s0..s3 (int32 bit patterns of Prng's uint32 words). */
  private readonly s: Int32Array;

  constructor(seed: number) {
    this.s = new Int32Array(4);
    this.setState(new Prng(seed).getState());
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
