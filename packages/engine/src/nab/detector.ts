/** What `eval nab` runs: pure types, shared by the harness and the adapters. */

/** What a detector sees of one NAB series. */
export interface NabSeriesInput {
  /** `category/file.csv`. */
  readonly name: string;
  /** Epoch ms of each row, increasing. */
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/** A detector: one anomaly score in [0, 1] per row, computed causally (row i may use rows <= i only). */
export type NabDetector = (series: NabSeriesInput) => Float64Array | readonly number[];
