/**
 * The linear scale the charts use: d3-scale's `scaleLinear` semantics for numbers only
 * (map, invert, clamp, nice ticks from d3-array). d3-scale's continuous scales interpolate any
 * value type, which pulls in d3-interpolate, d3-color (its CSS colour-name table) and d3-format:
 * ~8 KB gzip of the single-file build for two numeric mappings.
 */
import { ticks as d3Ticks } from 'd3-array';

export interface LinearScale {
  (value: number): number;
  domain(): [number, number];
  range(): [number, number];
  /** The domain value at a range value (never clamped, as in d3). */
  invert(value: number): number;
  /** About `count` round values in the domain (d3-array's `ticks`). */
  ticks(count?: number): number[];
}

/** Maps [d0, d1] onto [r0, r1]; with `clamp`, values outside the domain map to the range's ends. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number], clamp = false): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  // A zero-width domain maps everything to the middle of the range (d3 does the same).
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const lo = Math.min(d0, d1);
  const hi = Math.max(d0, d1);
  const scale = ((v: number) => {
    if (k === 0) return (r0 + r1) / 2;
    const c = clamp ? Math.max(lo, Math.min(hi, v)) : v;
    return r0 + (c - d0) * k;
  }) as LinearScale;
  scale.domain = () => [d0, d1];
  scale.range = () => [r0, r1];
  scale.invert = (v: number) => (k === 0 ? d0 : d0 + (v - r0) / k);
  scale.ticks = (count = 10) => d3Ticks(d0, d1, count);
  return scale;
}
