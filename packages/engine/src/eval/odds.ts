/**
 * The ODDS evaluation: each detector fitted on all rows of each ODDS data set
 * and scored on the same rows (the protocol of Liu, Ting & Zhou 2008 and of the
 * scikit-learn reference run), AUC-ROC and average precision per data set,
 * mean and standard deviation over seeds, side by side with scikit-learn's
 * IsolationForest from `<dataDir>/reference/sklearn_iforest_odds.csv`.
 *
 * Pass rule (iforest vs sklearn): |AUC_ours - AUC_sklearn| <= max(0.01, 2 std_sklearn).
 *
 * Detectors are a map name -> (matrix, seed) => scores (higher = more
 * anomalous), so more columns (rcf, ensemble) plug in through `extraDetectors`.
 *
 * File access: `io` (read a text file, list a folder). Without it, Node's
 * `fs/promises` is imported lazily, so this module has no static Node import
 * and the engine stays isomorphic.
 */
import { IsolationForest } from '../iforest/index.ts';
import type { Matrix } from '../matrix.ts';
import { averagePrecision, rocAuc } from '../metrics/index.ts';
import { parseOddsCsv } from './odds-csv.ts';

/** Scores every row of `train` after fitting on it; higher = more anomalous. */
export type OddsDetector = (train: Matrix, seed: number) => Float64Array | Promise<Float64Array>;

export const BUILTIN_ODDS_DETECTORS: Readonly<Record<string, OddsDetector>> = {
  // As the reference: 100 trees, 256 samples, fit and scored on all rows.
  iforest: (X, seed) => new IsolationForest({ numTrees: 100, sampleSize: 256, seed, contamination: 'auto' }).fit(X).scoreSamples(X),
};

export interface OddsIo {
  readText(path: string): Promise<string>;
  listDir(path: string): Promise<string[]>;
}

export interface OddsProgress {
  readonly dataset: string;
  readonly detector: string;
  readonly seed: number;
  /** Runs finished so far, of `total` (data sets x detectors x seeds). */
  readonly done: number;
  readonly total: number;
}

export interface EvalOddsOptions {
  /** Folder holding `odds/*.csv` and `reference/sklearn_iforest_odds.csv`. */
  readonly dataDir: string;
  readonly seeds?: readonly number[];
  /** Detector names to run, from the built-ins and `extraDetectors`. Default ['iforest']. */
  readonly detectors?: readonly string[];
  readonly extraDetectors?: Readonly<Record<string, OddsDetector>>;
  /** Only these data sets (file names without .csv); default all. */
  readonly datasets?: readonly string[];
  readonly onProgress?: (p: OddsProgress) => void;
  readonly io?: OddsIo;
}

export interface MeanStd {
  readonly mean: number;
  /** Population standard deviation (ddof = 0) over seeds. */
  readonly std: number;
}

export interface OddsDetectorResult {
  readonly auc: MeanStd;
  readonly ap: MeanStd;
  /** Mean seconds of one fit + score over all rows. */
  readonly seconds: number;
}

export interface SklearnReference {
  readonly auc: MeanStd;
  readonly ap: MeanStd;
  readonly fitSeconds: number;
  readonly scoreSeconds: number;
}

export interface OddsRow {
  readonly dataset: string;
  readonly rows: number;
  readonly dims: number;
  readonly outlierPct: number;
  readonly results: Readonly<Record<string, OddsDetectorResult>>;
  readonly sklearn: SklearnReference | null;
  /** max(0.01, 2 std_sklearn); null without a reference row. */
  readonly tolerance: number | null;
  /** iforest within tolerance of sklearn; null when either is missing. */
  readonly pass: boolean | null;
}

export interface OddsReport {
  readonly seeds: readonly number[];
  readonly detectors: readonly string[];
  readonly rows: readonly OddsRow[];
  /** True when every row with a verdict passed. */
  readonly allPass: boolean;
}

const join = (dir: string, name: string): string => (dir.endsWith('/') ? dir + name : `${dir}/${name}`);

async function nodeIo(): Promise<OddsIo> {
  const specifier = 'node:fs/promises'; // a variable: bundlers leave it alone
  const fs = (await import(/* @vite-ignore */ specifier)) as typeof import('node:fs/promises');
  return { readText: (p) => fs.readFile(p, 'utf8'), listDir: (p) => fs.readdir(p) };
}

function meanStd(values: readonly number[]): MeanStd {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

/** Parses the reference CSV (dataset,group,rows,dims,outlier_pct,auc_mean,auc_std,ap_mean,ap_std,fit_s_mean,score_s_mean,...). */
export function parseSklearnReference(text: string): Map<string, SklearnReference> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const head = lines[0]?.split(',') ?? [];
  const col = (name: string): number => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`sklearn reference: column "${name}" missing; columns: ${head.join(', ')}`);
    return i;
  };
  const c = { dataset: col('dataset'), aucMean: col('auc_mean'), aucStd: col('auc_std'), apMean: col('ap_mean'), apStd: col('ap_std'), fit: col('fit_s_mean'), score: col('score_s_mean') };
  const out = new Map<string, SklearnReference>();
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    const num = (i: number): number => {
      const v = Number(f[i]);
      if (!Number.isFinite(v)) throw new Error(`sklearn reference: "${f[i]}" in column ${head[i]} of row "${f[c.dataset]}" is not a number`);
      return v;
    };
    out.set(f[c.dataset]!, {
      auc: { mean: num(c.aucMean), std: num(c.aucStd) },
      ap: { mean: num(c.apMean), std: num(c.apStd) },
      fitSeconds: num(c.fit),
      scoreSeconds: num(c.score),
    });
  }
  return out;
}

export async function evalOdds(options: EvalOddsOptions): Promise<OddsReport> {
  const seeds = options.seeds ?? [0, 1, 2, 3, 4];
  const detectorNames = options.detectors ?? ['iforest'];
  const registry: Record<string, OddsDetector> = { ...BUILTIN_ODDS_DETECTORS, ...options.extraDetectors };
  for (const name of detectorNames) {
    if (!registry[name]) throw new Error(`evalOdds: unknown detector "${name}"; known: ${Object.keys(registry).join(', ')}`);
  }
  if (seeds.length === 0) throw new Error('evalOdds: no seeds');
  const io = options.io ?? (await nodeIo());
  const oddsDir = join(options.dataDir, 'odds');

  let reference = new Map<string, SklearnReference>();
  try {
    reference = parseSklearnReference(await io.readText(join(join(options.dataDir, 'reference'), 'sklearn_iforest_odds.csv')));
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
  }

  let files: string[];
  try {
    files = (await io.listDir(oddsDir)).filter((f) => f.endsWith('.csv') && f !== 'datasets.csv');
  } catch (e) {
    throw new Error(`evalOdds: cannot list ${oddsDir} (${(e as Error).message}); set the data folder (CX_DATA_DIR)`);
  }
  let names = files.map((f) => f.slice(0, -4));
  if (options.datasets) {
    const missing = options.datasets.filter((d) => !names.includes(d));
    if (missing.length) throw new Error(`evalOdds: data set(s) ${missing.join(', ')} not found in ${oddsDir}`);
    names = names.filter((n) => options.datasets!.includes(n));
  }
  // The reference's order (the paper's order, roughly), then the rest by name.
  const refOrder = [...reference.keys()];
  names.sort((a, b) => {
    const ia = refOrder.indexOf(a);
    const ib = refOrder.indexOf(b);
    return (ia < 0 ? 1e9 : ia) - (ib < 0 ? 1e9 : ib) || a.localeCompare(b);
  });

  const total = names.length * detectorNames.length * seeds.length;
  let done = 0;
  const rows: OddsRow[] = [];
  for (const dataset of names) {
    const { X, labels } = parseOddsCsv(await io.readText(join(oddsDir, `${dataset}.csv`)), `${dataset}.csv`);
    let outliers = 0;
    for (const l of labels) outliers += l;
    const results: Record<string, OddsDetectorResult> = {};
    for (const name of detectorNames) {
      const aucs: number[] = [];
      const aps: number[] = [];
      let seconds = 0;
      for (const seed of seeds) {
        const t0 = performance.now();
        const scores = await registry[name]!(X, seed);
        seconds += (performance.now() - t0) / 1000;
        if (scores.length !== X.rows) throw new Error(`evalOdds: detector "${name}" returned ${scores.length} scores for ${X.rows} rows of ${dataset}`);
        aucs.push(rocAuc(scores, labels));
        aps.push(averagePrecision(scores, labels));
        done++;
        options.onProgress?.({ dataset, detector: name, seed, done, total });
      }
      results[name] = { auc: meanStd(aucs), ap: meanStd(aps), seconds: seconds / seeds.length };
    }
    const ref = reference.get(dataset) ?? null;
    const tolerance = ref ? Math.max(0.01, 2 * ref.auc.std) : null;
    const ours = results['iforest'];
    const pass = ref && ours && tolerance !== null ? Math.abs(ours.auc.mean - ref.auc.mean) <= tolerance : null;
    rows.push({ dataset, rows: X.rows, dims: X.cols, outlierPct: (100 * outliers) / X.rows, results, sklearn: ref, tolerance, pass });
  }
  return { seeds, detectors: detectorNames, rows, allPass: rows.every((r) => r.pass !== false) };
}

const f3 = (v: number): string => v.toFixed(3);
const pm = (m: MeanStd): string => `${f3(m.mean)} ± ${f3(m.std)}`;

/** The report as a Markdown table (one row per data set), plus a summary line. */
export function renderOddsMarkdown(report: OddsReport): string {
  const extra = report.detectors.filter((d) => d !== 'iforest');
  const hasIf = report.detectors.includes('iforest');
  const head = ['data set', 'rows', 'dims', 'outliers %', 'sklearn AUC'];
  if (hasIf) head.push('ours AUC', 'Δ AUC', 'tolerance', 'pass');
  head.push('sklearn AP');
  if (hasIf) head.push('ours AP');
  for (const d of extra) head.push(`${d} AUC`, `${d} AP`);
  if (hasIf) head.push('ours s (fit+score)', 'sklearn s (fit+score)');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const r of report.rows) {
    const ours = r.results['iforest'];
    const cells = [r.dataset, String(r.rows), String(r.dims), r.outlierPct.toFixed(2), r.sklearn ? pm(r.sklearn.auc) : '-'];
    if (hasIf) {
      cells.push(ours ? pm(ours.auc) : '-');
      cells.push(ours && r.sklearn ? (ours.auc.mean - r.sklearn.auc.mean >= 0 ? '+' : '') + f3(ours.auc.mean - r.sklearn.auc.mean) : '-');
      cells.push(r.tolerance === null ? '-' : f3(r.tolerance));
      cells.push(r.pass === null ? '-' : r.pass ? 'pass' : '**FAIL**');
    }
    cells.push(r.sklearn ? pm(r.sklearn.ap) : '-');
    if (hasIf) cells.push(ours ? pm(ours.ap) : '-');
    for (const d of extra) {
      const x = r.results[d];
      cells.push(x ? pm(x.auc) : '-', x ? pm(x.ap) : '-');
    }
    if (hasIf) {
      cells.push(ours ? ours.seconds.toFixed(3) : '-');
      cells.push(r.sklearn ? (r.sklearn.fitSeconds + r.sklearn.scoreSeconds).toFixed(3) : '-');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const verdicts = report.rows.filter((r) => r.pass !== null);
  const passed = verdicts.filter((r) => r.pass).length;
  lines.push('');
  lines.push(`Seeds ${report.seeds.join(', ')}; mean ± population std over seeds. Pass: |AUC_ours − AUC_sklearn| ≤ max(0.01, 2·std_sklearn). ${passed}/${verdicts.length} data sets pass.`);
  return lines.join('\n');
}
