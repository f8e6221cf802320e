/** Small helpers shared by benchmark sections. */

export interface BenchContext {
  /** Folder with odds/, nab/, reference/ (`../shared/data` or $CX_DATA_DIR). */
  readonly dataDir: string;
  /** Runs per measurement (median reported); at least 5. */
  readonly runs: number;
  /** Command-line flags, for section-specific switches (e.g. --skip-npm). */
  readonly args: readonly string[];
  readonly log: (line: string) => void;
}

/** A section's output: Markdown (heading, table, notes). */
export interface BenchSection {
  readonly title: string;
  readonly markdown: string;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Wall-clock and CPU milliseconds of one measurement (each a median over runs). */
export interface Timed {
  readonly wallMs: number;
  /** CPU time of this process (user + system): less sensitive to a busy machine than wall time. */
  readonly cpuMs: number;
}

/**
 * Times `fn`: medians of `runs` runs after `warmupRuns` unmeasured runs. Several warm-up runs,
 * because on a busy machine V8's optimising compiler (a background thread) needs a few calls
 * before the optimised code arrives.
 */
export function timeMedian(runs: number, fn: () => unknown, warmupRuns = 3): Timed {
  for (let w = 0; w < warmupRuns; w++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

export const fmtRate = (pointsPerSecond: number): string =>
  pointsPerSecond >= 1e6 ? `${(pointsPerSecond / 1e6).toFixed(2)}M` : pointsPerSecond >= 1e3 ? `${(pointsPerSecond / 1e3).toFixed(1)}k` : pointsPerSecond.toFixed(1);
export const fmtMs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
