/**
 * The NAB scoreboard as a Markdown table: our detectors measured here, the
 * published detectors re-scored from their published outputs, and the
 * published scoreboard rows. Pure (no I/O).
 */
import { NAB_PROFILE_NAMES, type NabProfileName } from './scorer.ts';

export type NabRowSource =
  /** Run and scored here. */
  | 'measured'
  /** Published per-series outputs (results/<detector>/) re-scored by this scorer. */
  | 'reproduced'
  /** results/final_results.json as published. */
  | 'published'
  /** Another reference (e.g. rrcf's scores in shared/data/reference). */
  | 'reference';

export interface NabTableRow {
  readonly detector: string;
  readonly source: NabRowSource;
  readonly scores: Readonly<Record<NabProfileName, number>>;
  /** Threshold chosen for the standard profile, when known. */
  readonly threshold?: number;
  /** Detection throughput, when measured. */
  readonly pointsPerSecond?: number;
  readonly note?: string;
}

const fmt = (v: number | undefined, digits: number): string => (v === undefined || !Number.isFinite(v) ? '' : v.toFixed(digits));

/** Rows in the order given; the caller decides grouping. */
export function renderNabTable(rows: readonly NabTableRow[], title = 'NAB scores (normalised, higher is better; perfect 100, null 0)'): string {
  const lines = [
    `### ${title}`,
    '',
    `| detector | source | ${NAB_PROFILE_NAMES.join(' | ')} | threshold (standard) | points/s | note |`,
    `| --- | --- | ${NAB_PROFILE_NAMES.map(() => '---:').join(' | ')} | ---: | ---: | --- |`,
  ];
  for (const r of rows) {
    const cells = NAB_PROFILE_NAMES.map((p) => fmt(r.scores[p], 3));
    lines.push(
      `| ${r.detector} | ${r.source} | ${cells.join(' | ')} | ${fmt(r.threshold, 4)} | ${fmt(r.pointsPerSecond, 0)} | ${r.note ?? ''} |`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Published scoreboard rows, best standard score first. */
export function scoreboardRows(finalResults: Readonly<Record<string, Readonly<Record<NabProfileName, number>>>>, only?: readonly string[]): NabTableRow[] {
  const names = Object.keys(finalResults).filter((d) => only === undefined || only.includes(d));
  return names
    .map((d): NabTableRow => ({ detector: d, source: 'published', scores: finalResults[d]! }))
    .sort((a, b) => b.scores.standard - a.scores.standard);
}
