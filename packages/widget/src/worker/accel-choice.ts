/**
 * Which tree-path implementation to use for a batch: a short probe per device
 * times the JS loop and each accelerator that starts here on a synthetic forest
 * at two batch sizes; the result is cached in IndexedDB (per user agent and
 * probe version), and `choose` picks the fastest measured at the nearest size.
 * The JS loop wins wherever it is faster, e.g. on SwiftShader (GPU emulated on the CPU).
 */
import { IsolationForest, Prng, createAccelerator, jsPathLengthSums, type AccelKind, type TreePathAccelerator } from '@cx-anomaly/engine';
import { KvStore } from '../cache/kv-store.ts';

export type PathBackend = 'js' | AccelKind;

export interface ProbeResult {
  readonly version: number;
  readonly device: string;
  /** Points per second, per size, per backend (absent: did not start). */
  readonly rates: readonly { readonly n: number; readonly backend: PathBackend; readonly pointsPerSec: number }[];
  readonly errors: Readonly<Record<string, string>>;
}

const PROBE_VERSION = 1;
export const PROBE_SIZES = [8192, 65536] as const;
const PROBE_DB = 'cx-anomaly-accel';

function deviceKey(): string {
  return `p${PROBE_VERSION}:${typeof navigator !== 'undefined' ? navigator.userAgent : 'unknown'}`;
}

/** Fastest backend measured at the probe size nearest to n (JS when nothing else was measured). */
export function choose(probe: ProbeResult | null, n: number): PathBackend {
  if (!probe || probe.rates.length === 0) return 'js';
  const sizes = [...new Set(probe.rates.map((r) => r.n))].sort((a, b) => Math.abs(Math.log(a / n)) - Math.abs(Math.log(b / n)));
  const at = probe.rates.filter((r) => r.n === sizes[0]);
  return at.reduce((a, b) => (b.pointsPerSec > a.pointsPerSec ? b : a)).backend;
}

/** Times one backend on a forest (first run excluded: shader compilation, tfjs start). */
export async function timeBackend(accel: TreePathAccelerator | null, forest: IsolationForest, data: Float64Array, rows: number, cols: number): Promise<number> {
  const run = () => (accel ? accel.pathLengthSums(forest.state, data, rows, cols) : Promise.resolve(jsPathLengthSums(forest.state, data, rows, cols)));
  await run();
  const t0 = performance.now();
  await run();
  return rows / ((performance.now() - t0) / 1000);
}

export async function runProbe(kinds: readonly AccelKind[] = ['webgl', 'webgpu']): Promise<ProbeResult> {
  const rng = new Prng(11);
  const d = 8;
  const maxN = PROBE_SIZES[PROBE_SIZES.length - 1]!;
  const data = new Float64Array(maxN * d);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  const forest = new IsolationForest({ numTrees: 100, sampleSize: 256, seed: 5 }).fit({ data: data.subarray(0, 4096 * d), rows: 4096, cols: d });
  const rates: { n: number; backend: PathBackend; pointsPerSec: number }[] = [];
  const errors: Record<string, string> = {};
  const accels: [PathBackend, TreePathAccelerator | null][] = [['js', null]];
  for (const k of kinds) {
    try {
      accels.push([k, await createAccelerator(k)]);
    } catch (e) {
      errors[k] = (e as Error).message;
    }
  }
  for (const n of PROBE_SIZES) {
    for (const [backend, accel] of accels) {
      try {
        rates.push({ n, backend, pointsPerSec: await timeBackend(accel, forest, data, n, d) });
      } catch (e) {
        errors[backend] = (e as Error).message;
      }
    }
  }
  return { version: PROBE_VERSION, device: deviceKey(), rates, errors };
}

/** The cached probe of this device, or a new one (stored for next time). */
export async function cachedProbe(store: KvStore = new KvStore({ dbName: PROBE_DB, storeName: 'probe' }), force = false): Promise<ProbeResult> {
  const key = deviceKey();
  if (!force) {
    const hit = await store.get<ProbeResult>(key);
    if (hit && hit.version === PROBE_VERSION && hit.device === key) return hit;
  }
  const result = await runProbe();
  await store.set(key, result);
  return result;
}
