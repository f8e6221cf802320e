/**
 * A fast non-cryptographic 64-bit hash (two independent 32-bit lanes, murmur3-style
 * mixing) for cache keys and entry checksums. Not for security: it only has to tell
 * different training data and configs apart, and a damaged entry from a good one.
 * (crypto.subtle would do, but it is missing outside secure contexts.)
 */
export class Hasher {
  private h1 = 0x9e3779b9 | 0;
  private h2 = 0x85ebca6b | 0;
  private count = 0;

  private mix(k: number): void {
    let a = Math.imul(k, 0xcc9e2d51);
    a = (a << 15) | (a >>> 17);
    a = Math.imul(a, 0x1b873593);
    this.h1 ^= a;
    this.h1 = (this.h1 << 13) | (this.h1 >>> 19);
    this.h1 = (Math.imul(this.h1, 5) + 0xe6546b64) | 0;
    let b = Math.imul(k ^ 0x5bd1e995, 0x27d4eb2f);
    b = (b << 17) | (b >>> 15);
    this.h2 = Math.imul(this.h2 ^ b, 0x165667b1);
    this.h2 = (this.h2 + (this.h2 >>> 13)) | 0;
    this.count++;
  }

  /** Adds the bytes of a typed array (its view, not the whole buffer). */
  bytes(view: ArrayBufferView): this {
    const { buffer, byteOffset, byteLength } = view;
    const words = byteLength >>> 2;
    if (byteOffset % 4 === 0) {
      const w = new Int32Array(buffer, byteOffset, words);
      for (let i = 0; i < words; i++) this.mix(w[i]!);
    } else {
      const dv = new DataView(buffer, byteOffset, byteLength);
      for (let i = 0; i < words; i++) this.mix(dv.getInt32(i * 4, true));
    }
    const u8 = new Uint8Array(buffer, byteOffset, byteLength);
    let tail = 0;
    for (let i = words * 4; i < byteLength; i++) tail = (tail << 8) | u8[i]!;
    this.mix(tail ^ byteLength);
    return this;
  }

  string(s: string): this {
    for (let i = 0; i < s.length; i++) this.mix(s.charCodeAt(i));
    this.mix(s.length ^ 0x7f4a7c15);
    return this;
  }

  number(x: number): this {
    const f = new Float64Array([x]);
    return this.bytes(f);
  }

  /** 16 hex digits. */
  digest(): string {
    let a = this.h1 ^ this.count;
    let b = this.h2 ^ Math.imul(this.count, 0x9e3779b1);
    a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
    a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
    a ^= a >>> 16;
    b = Math.imul(b ^ (b >>> 15), 0x2c1b3c6d);
    b = Math.imul(b ^ (b >>> 12), 0x297a2d39);
    b ^= b >>> 15;
    return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
  }
}

export function hashBytes(view: ArrayBufferView): string {
  return new Hasher().bytes(view).digest();
}
