/**
 * Detectors `eval nab` can run by name, with the post-processing variants
 * measured for the report. Pure: adapters only, no I/O.
 */
import type { NabDetector } from './detector.ts';
import { NabError } from './errors.ts';
import { anomalyLikelihood, calibrateByPastRank, rollingGaussianDetector, suppressRepeats } from './postprocess.ts';

export interface NabDetectorOptions {
  readonly seed?: number;
  readonly numTrees?: number;
  readonly sampleSize?: number;
  readonly shingleSize?: number;
}

export interface NabDetectorEntry {
  readonly describe: string;
  readonly create: (options: NabDetectorOptions) => NabDetector;
}

const BASE: Record<string, NabDetectorEntry> = {
  gaussian: {
    describe: 'baseline: |z| of each value against the previous 1000 values (erf(|z|/sqrt 2))',
    create: () => rollingGaussianDetector(1000),
  },
};

/** Post-processing suffixes: `<detector>+rank`, `+lik`, `+nms`, combinable (`rcf+rank+nms`). */
const POST: Record<string, { describe: string; wrap: (d: NabDetector) => NabDetector }> = {
  rank: { describe: 'rank among its own previous 2000 scores', wrap: (d) => calibrateByPastRank(d) },
  lik: { describe: 'Numenta-style anomaly likelihood of the raw score', wrap: (d) => anomalyLikelihood(d) },
  nms: { describe: 'causal non-maximum suppression (one alert per burst)', wrap: (d) => suppressRepeats(d) },
};

const extra: Record<string, NabDetectorEntry> = {};
const memo = new Map<string, NabDetector>();

function remember(detector: NabDetector): NabDetector {
  const seen = new Map<string, { values: Float64Array; out: Float64Array | readonly number[] }>();
  return (series) => {
    const hit = seen.get(series.name);
    if (hit !== undefined && hit.values.length === series.values.length && hit.values.every((v, i) => Object.is(v, series.values[i]))) return hit.out;
    const out = detector(series);
    seen.set(series.name, { values: Float64Array.from(series.values), out });
    return out;
  };
}

/** Forget kept detector outputs (between runs on different data). */
export function clearNabDetectorCache(): void {
  memo.clear();
}

/** Add a detector by name (adapters register themselves where their engine parts exist). */
export function registerNabDetector(name: string, entry: NabDetectorEntry): void {
  extra[name] = entry;
  memo.clear();
}

export function nabDetectorNames(): string[] {
  return [...Object.keys(BASE), ...Object.keys(extra)];
}

export function nabDetectorHelp(): string {
  const all = { ...BASE, ...extra };
  const lines = Object.entries(all).map(([n, e]) => `  ${n.padEnd(18)} ${e.describe}`);
  lines.push('  suffixes (combinable, applied left to right):');
  for (const [s, p] of Object.entries(POST)) lines.push(`  +${s.padEnd(17)} ${p.describe}`);
  return lines.join('\n');
}

/** `name[+post...]` -> detector. */
export function createNabDetector(spec: string, options: NabDetectorOptions = {}): NabDetector {
  const [name, ...posts] = spec.split('+');
  const entry = { ...BASE, ...extra }[name!];
  if (entry === undefined) throw new NabError(`unknown NAB detector "${name}"; known: ${nabDetectorNames().join(', ')}`);
  // The base detector is shared by all its post-processed variants in a run, and
  // its outputs are kept per series: `rrcf,rrcf+nms` runs the forest once.
  // (Detectors are seeded and deterministic, so a kept output equals a rerun.)
  const key = `${name}|${JSON.stringify(options)}`;
  let detector = memo.get(key);
  if (detector === undefined) {
    detector = remember(entry.create(options));
    memo.set(key, detector);
  }
  for (const p of posts) {
    const post = POST[p];
    if (post === undefined) throw new NabError(`unknown post-processing "+${p}" in "${spec}"; known: ${Object.keys(POST).map((k) => `+${k}`).join(', ')}`);
    detector = post.wrap(detector);
  }
  return detector;
}
