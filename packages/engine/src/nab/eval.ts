/**
 * `eval nab`: run detectors on every NAB series (streaming, in time order),
 * write NAB-format result files, score them with the NAB scorer for the three
 * profiles and render the scoreboard beside the published one.
 * Node-only (reads and writes files through `io.ts`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  loadNabDataset,
  nabResultPath,
  publishedDetectors,
  readFinalResults,
  readNabResults,
  writeNabResultFile,
  type NabDataFile,
} from './io.ts';
import type { NabDetector } from './detector.ts';
import { NabError } from './errors.ts';
export type { NabDetector, NabSeriesInput } from './detector.ts';
import { renderNabTable, scoreboardRows, type NabTableRow } from './report.ts';
import { NAB_PROFILE_NAMES, scoreNab, type NabCorpus, type NabProfileName, type NabScore } from './scorer.ts';

export interface NabProgress {
  readonly detector: string;
  readonly file: string;
  /** Series done for this detector. */
  readonly done: number;
  readonly total: number;
  readonly seconds: number;
}

export interface EvalNabOptions {
  /** NAB data directory (data/, labels/, config/, results/). */
  readonly dataDir: string;
  /** Where to write `<detector>/<category>/<detector>_<file>.csv`; nothing is written without it. */
  readonly resultsDir?: string;
  readonly detectors: Readonly<Record<string, NabDetector>>;
  /** Limit to these data files (`category/file.csv`); scores then cover only them. */
  readonly files?: readonly string[];
  /** Re-score the published outputs under `<dataDir>/results/` (default true). */
  readonly reproducePublished?: boolean;
  /** A note per detector for the table (e.g. what its time covers). */
  readonly notes?: Readonly<Record<string, string>>;
  /** Scoreboard rows of final_results.json to show (default: all). */
  readonly scoreboard?: readonly string[];
  readonly onProgress?: (progress: NabProgress) => void;
}

export interface NabDetectorReport {
  readonly scores: Readonly<Record<NabProfileName, NabScore>>;
  /** Detection time, all series. */
  readonly seconds: number;
  readonly points: number;
  readonly pointsPerSecond: number;
}

export interface NabEvalReport {
  readonly detectors: Readonly<Record<string, NabDetectorReport>>;
  /** Published detectors re-scored from their outputs. */
  readonly reproduced: Readonly<Record<string, Readonly<Record<NabProfileName, NabScore>>>>;
  readonly rows: readonly NabTableRow[];
  readonly markdown: string;
  readonly files: number;
}

function scoreAll(corpus: NabCorpus): Record<NabProfileName, NabScore> {
  const out = {} as Record<NabProfileName, NabScore>;
  for (const p of NAB_PROFILE_NAMES) out[p] = scoreNab(corpus, p);
  return out;
}

const byProfile = (s: Readonly<Record<NabProfileName, NabScore>>): Record<NabProfileName, number> => ({
  standard: s.standard.normalizedScore,
  reward_low_FP_rate: s.reward_low_FP_rate.normalizedScore,
  reward_low_FN_rate: s.reward_low_FN_rate.normalizedScore,
});

/** Run one detector on one series and check what it returned. */
function detect(name: string, detector: NabDetector, file: NabDataFile): Float64Array {
  const out = detector({ name: file.relativePath, timestamps: file.times, values: file.values });
  if (out.length !== file.times.length) {
    throw new NabError(`detector ${name} returned ${out.length} scores for ${file.relativePath}, which has ${file.times.length} rows`);
  }
  const scores = out instanceof Float64Array ? out : Float64Array.from(out);
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i]!;
    if (!(v >= 0 && v <= 1)) {
      throw new NabError(`detector ${name} gave ${file.relativePath} row ${i} the score ${v}; NAB scores must lie in [0, 1]`);
    }
  }
  return scores;
}

/** rrcf's published NAB scores on this data (shared/data/reference/rrcf_nab.json), when present. */
function referenceRows(dataDir: string): NabTableRow[] {
  const path = join(dataDir, '..', 'reference', 'rrcf_nab.json');
  if (!existsSync(path)) return [];
  const json = JSON.parse(readFileSync(path, 'utf8')) as { scores?: Record<string, Record<NabProfileName, number>> };
  return Object.entries(json.scores ?? {}).map(([variant, scores]) => ({
    detector: `rrcf (${variant})`,
    source: 'reference' as const,
    scores,
    note: 'kLabUM/rrcf, shingle 4, 40 trees x 256',
  }));
}

export async function evalNab(options: EvalNabOptions): Promise<NabEvalReport> {
  const dataset = loadNabDataset(options.dataDir, options.files);
  const subset = options.files !== undefined;
  const detectors: Record<string, NabDetectorReport> = {};
  const rows: NabTableRow[] = [];

  // Check every name before spending minutes on the first detectors.
  for (const name of Object.keys(options.detectors)) {
    if (!/^[A-Za-z0-9_.+-]+$/.test(name)) throw new NabError(`detector name ${JSON.stringify(name)} must be a plain file-name word (letters, digits, _ . + -)`);
  }
  for (const [name, detector] of Object.entries(options.detectors)) {
    const series = [];
    let seconds = 0;
    let points = 0;
    for (const file of dataset.files) {
      const t0 = performance.now();
      const scores = detect(name, detector, file);
      seconds += (performance.now() - t0) / 1000;
      points += scores.length;
      if (options.resultsDir !== undefined) writeNabResultFile(nabResultPath(options.resultsDir, name, file), file, scores);
      series.push({ name: file.relativePath, timestamps: file.times, scores, windows: file.windows });
      options.onProgress?.({ detector: name, file: file.relativePath, done: series.length, total: dataset.files.length, seconds });
      // Let progress output and signals through between series.
      await new Promise<void>((r) => setImmediate(r));
    }
    // When files were written, score what is on disk, as NAB does.
    const corpus = options.resultsDir !== undefined ? readNabResults(options.resultsDir, name, dataset) : { series };
    const scores = scoreAll(corpus);
    const pointsPerSecond = seconds > 0 ? points / seconds : Infinity;
    detectors[name] = { scores, seconds, points, pointsPerSecond };
    const note = options.notes?.[name];
    rows.push({ detector: name, source: 'measured', scores: byProfile(scores), threshold: scores.standard.threshold, pointsPerSecond, ...(note ? { note } : {}) });
  }

  const reproduced: Record<string, Record<NabProfileName, NabScore>> = {};
  if (options.reproducePublished !== false) {
    for (const d of publishedDetectors(options.dataDir)) {
      reproduced[d] = scoreAll(readNabResults(join(options.dataDir, 'results'), d, dataset));
      rows.push({
        detector: d,
        source: 'reproduced',
        scores: byProfile(reproduced[d]!),
        threshold: reproduced[d]!.standard.threshold,
        note: subset ? `on the ${dataset.files.length} files only` : 'published outputs, this scorer',
      });
    }
  }
  const finalPath = join(options.dataDir, 'results', 'final_results.json');
  if (existsSync(finalPath)) {
    const note = subset ? 'whole corpus' : undefined;
    for (const r of scoreboardRows(readFinalResults(options.dataDir), options.scoreboard)) rows.push(note ? { ...r, note } : r);
  }
  if (!subset) rows.push(...referenceRows(options.dataDir));

  const title = subset
    ? `NAB scores on ${dataset.files.length} of the corpus files (normalised; perfect 100, null 0)`
    : `NAB scores, ${dataset.files.length} files (normalised; perfect 100, null 0)`;
  return { detectors, reproduced, rows, markdown: renderNabTable(rows, title), files: dataset.files.length };
}
