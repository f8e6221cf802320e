/**
 * Node-only file access for NAB: the data set layout of numenta/NAB (data/,
 * labels/, config/, results/) read and written as NAB does. The scorer itself
 * (`scorer.ts`) stays free of I/O.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NabError } from './errors.ts';
import { NAB_PROFILES, parseNabTime, type CostMatrix, type NabCorpus, type NabProfileName, type NabSeries } from './scorer.ts';

/** One NAB data file. */
export interface NabDataFile {
  /** `category/file.csv`, the key of NAB's label files. */
  readonly relativePath: string;
  readonly category: string;
  readonly fileName: string;
  /** Timestamps as written in the file. */
  readonly timestamps: readonly string[];
  /** Epoch ms of each row (NAB text read as UTC). */
  readonly times: Float64Array;
  readonly values: Float64Array;
  /** Values as written, so result files repeat them unchanged. */
  readonly valueText: readonly string[];
  /** Anomaly windows [start, end] as written in combined_windows.json. */
  readonly windows: readonly (readonly [string, string])[];
}

export interface NabDataset {
  readonly dataDir: string;
  /** Sorted by relative path. */
  readonly files: readonly NabDataFile[];
  readonly profiles: Readonly<Record<NabProfileName, CostMatrix>>;
}

/** `<repo>/../shared/data/nab`, or `$CX_DATA_DIR/nab`; `explicit` wins. */
export function resolveNabDataDir(explicit?: string): string {
  if (explicit !== undefined && explicit !== '') return resolve(explicit);
  const env = process.env['CX_DATA_DIR'];
  if (env !== undefined && env !== '') return resolve(env, 'nab');
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
  return resolve(repoRoot, '..', 'shared', 'data', 'nab');
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new NabError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/** Minimal CSV reader for NAB's files (no quoting occurs in them). */
export function parseCsv(text: string, path: string): { header: string[]; rows: string[][] } {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new NabError(`${path} is empty`);
  const header = lines[0]!.split(',').map((h) => h.trim());
  const rows: string[][] = new Array(lines.length - 1);
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i]!.split(',');
    if (cells.length < header.length) throw new NabError(`${path}:${i + 1} has ${cells.length} cells, header has ${header.length}`);
    rows[i - 1] = cells;
  }
  return { header, rows };
}

function column(header: readonly string[], name: string, path: string): number {
  const k = header.indexOf(name);
  if (k < 0) throw new NabError(`${path} has no "${name}" column (columns: ${header.join(', ')})`);
  return k;
}

function readProfiles(dataDir: string): Record<NabProfileName, CostMatrix> {
  const path = join(dataDir, 'config', 'profiles.json');
  if (!existsSync(path)) return { ...NAB_PROFILES };
  const json = JSON.parse(readText(path, 'NAB profiles')) as Record<string, { CostMatrix: CostMatrix }>;
  const out = {} as Record<NabProfileName, CostMatrix>;
  for (const name of Object.keys(NAB_PROFILES) as NabProfileName[]) {
    const cm = json[name]?.CostMatrix;
    if (cm === undefined) throw new NabError(`${path} has no profile ${name}`);
    out[name] = cm;
  }
  return out;
}

/**
 * Read NAB's corpus: every `data/<category>/<file>.csv` that has an entry in
 * `labels/combined_windows.json` (NAB scores exactly the labelled files).
 * `only` limits it to some relative paths (tests, quick runs).
 */
export function loadNabDataset(dataDir: string, only?: readonly string[]): NabDataset {
  const windowsPath = join(dataDir, 'labels', 'combined_windows.json');
  if (!existsSync(windowsPath)) throw new NabError(`${dataDir} is not a NAB data directory: ${windowsPath} is missing`);
  const windows = JSON.parse(readText(windowsPath, 'NAB windows')) as Record<string, [string, string][]>;
  let paths = Object.keys(windows).sort();
  if (only !== undefined) {
    for (const p of only) if (!(p in windows)) throw new NabError(`NAB has no data file ${p} (see ${windowsPath})`);
    paths = paths.filter((p) => only.includes(p));
  }
  const files = paths.map((relativePath): NabDataFile => {
    const path = join(dataDir, 'data', relativePath);
    const { header, rows } = parseCsv(readText(path, 'NAB data file'), path);
    const ti = column(header, 'timestamp', path);
    const vi = column(header, 'value', path);
    const n = rows.length;
    const timestamps: string[] = new Array(n);
    const valueText: string[] = new Array(n);
    const times = new Float64Array(n);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      timestamps[i] = row[ti]!;
      times[i] = parseNabTime(row[ti]!);
      valueText[i] = row[vi]!;
      values[i] = Number(row[vi]);
    }
    const slash = relativePath.indexOf('/');
    return {
      relativePath,
      category: relativePath.slice(0, slash),
      fileName: relativePath.slice(slash + 1),
      timestamps,
      times,
      values,
      valueText,
      windows: windows[relativePath]!.map(([a, b]) => [a, b] as const),
    };
  });
  return { dataDir, files, profiles: readProfiles(dataDir) };
}

/** NAB's label column: 1 for rows whose time lies in a window (inclusive). */
export function windowLabels(file: NabDataFile): Uint8Array {
  const labels = new Uint8Array(file.times.length);
  for (const [a, b] of file.windows) {
    const t1 = parseNabTime(a);
    const t2 = parseNabTime(b);
    for (let i = 0; i < labels.length; i++) if (file.times[i]! >= t1 && file.times[i]! <= t2) labels[i] = 1;
  }
  return labels;
}

/** `<resultsDir>/<detector>/<category>/<detector>_<file>.csv`, NAB's result layout. */
export function nabResultPath(resultsDir: string, detector: string, file: NabDataFile): string {
  return join(resultsDir, detector, file.category, `${detector}_${file.fileName}`);
}

/** Read one detector's published or written result files as a scorable corpus. */
export function readNabResults(resultsDir: string, detector: string, dataset: NabDataset): NabCorpus {
  const series: NabSeries[] = dataset.files.map((file) => {
    const path = nabResultPath(resultsDir, detector, file);
    const { header, rows } = parseCsv(readText(path, `NAB result file of ${detector}`), path);
    const si = column(header, 'anomaly_score', path);
    if (rows.length !== file.times.length) {
      throw new NabError(`${path} has ${rows.length} rows, the data file ${file.relativePath} has ${file.times.length}`);
    }
    const scores = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const v = Number(rows[i]![si]);
      if (Number.isNaN(v)) throw new NabError(`${path}:${i + 2} anomaly_score ${JSON.stringify(rows[i]![si])} is not a number`);
      scores[i] = v;
    }
    // NAB pairs the data file's timestamps with the result file's scores by row.
    return { name: file.relativePath, timestamps: file.times, scores, windows: file.windows };
  });
  return { series };
}

/** Write one NAB result file (timestamp,value,anomaly_score,label). */
export function writeNabResultFile(path: string, file: NabDataFile, scores: ArrayLike<number>): void {
  if (scores.length !== file.times.length) {
    throw new NabError(`detector returned ${scores.length} scores for ${file.relativePath}, which has ${file.times.length} rows`);
  }
  const labels = windowLabels(file);
  const lines: string[] = ['timestamp,value,anomaly_score,label'];
  for (let i = 0; i < scores.length; i++) {
    lines.push(`${file.timestamps[i]},${file.valueText[i]},${scores[i]},${labels[i]}`);
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, lines.join('\n') + '\n');
}

/** results/final_results.json: the published scoreboard. */
export function readFinalResults(dataDir: string): Record<string, Record<NabProfileName, number>> {
  const path = join(dataDir, 'results', 'final_results.json');
  return JSON.parse(readText(path, 'NAB scoreboard')) as Record<string, Record<NabProfileName, number>>;
}

/** Detectors whose per-series outputs are published under results/. */
export function publishedDetectors(dataDir: string): string[] {
  const dir = join(dataDir, 'results');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => statSync(join(dir, d)).isDirectory())
    .sort();
}
