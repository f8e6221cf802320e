/**
 * A dense row-major matrix of float64 values: row i, column j is at data[i * cols + j].
 * Every detector takes and returns data in this shape, so no per-row objects exist
 * on the hot paths.
 */
export interface Matrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

export function createMatrix(rows: number, cols: number): Matrix {
  return { data: new Float64Array(rows * cols), rows, cols };
}

export function matrixFrom(data: Float64Array, rows: number, cols: number): Matrix {
  if (data.length !== rows * cols) {
    throw new Error(`matrixFrom: data has ${data.length} values, expected rows*cols = ${rows}*${cols} = ${rows * cols}`);
  }
  return { data, rows, cols };
}
