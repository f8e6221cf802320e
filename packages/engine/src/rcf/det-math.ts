/**
 * Logarithms and powers built only from +, -, *, / (which IEEE 754 rounds
 * exactly the same everywhere). `Math.log`, `Math.log2` and `Math.pow` are
 * left to each engine's libm and may differ in the last bit between V8,
 * SpiderMonkey and JavaScriptCore; the forest uses these instead wherever a
 * result feeds a score or a sampling decision, so that a seed gives
 * bit-identical scores in Node and in every browser.
 */

const LN2 = 0.6931471805599453;
const SQRT2 = 1.4142135623730951;

/** Natural logarithm of x > 0 (relative error ~1e-16), deterministic. */
export function detLn(x: number): number {
  if (!(x > 0)) {
    if (x === 0) return -Infinity;
    return NaN;
  }
  if (x === Infinity) return Infinity;
  // Reduce to m in [sqrt(1/2), sqrt(2)) with x = m * 2^e by exact scaling.
  let e = 0;
  let m = x;
  while (m >= 1.8446744073709552e19) { m *= 5.421010862427522e-20; e += 64; } // 2^64, 2^-64
  while (m < 5.421010862427522e-20) { m *= 1.8446744073709552e19; e -= 64; }
  while (m >= SQRT2) { m *= 0.5; e += 1; }
  while (m < SQRT2 * 0.5) { m *= 2; e -= 1; }
  // ln(m) = 2 atanh(z), z = (m-1)/(m+1), |z| <= 0.1716: the series converges fast.
  const z = (m - 1) / (m + 1);
  const z2 = z * z;
  let s = 1 / 27;
  s = s * z2 + 1 / 25;
  s = s * z2 + 1 / 23;
  s = s * z2 + 1 / 21;
  s = s * z2 + 1 / 19;
  s = s * z2 + 1 / 17;
  s = s * z2 + 1 / 15;
  s = s * z2 + 1 / 13;
  s = s * z2 + 1 / 11;
  s = s * z2 + 1 / 9;
  s = s * z2 + 1 / 7;
  s = s * z2 + 1 / 5;
  s = s * z2 + 1 / 3;
  s = s * z2 + 1;
  return 2 * z * s + e * LN2;
}

/** log2(x), deterministic. */
export function detLog2(x: number): number {
  return detLn(x) / LN2;
}

/** 2^y, deterministic (used only for the [0,1) score normalisation). */
export function detExp2(y: number): number {
  if (Number.isNaN(y)) return NaN;
  if (y > 1024) return Infinity;
  if (y < -1100) return 0;
  const n = Math.floor(y);
  const f = (y - n) * LN2; // in [0, ln 2)
  // e^f by Taylor series (f < 0.7: 20 terms reach double precision).
  let s = 1;
  for (let k = 20; k >= 1; k--) s = 1 + (s * f) / k;
  let r = s;
  let k = n;
  while (k > 0) { r *= 2; k--; }
  while (k < 0) { r *= 0.5; k++; }
  return r;
}
