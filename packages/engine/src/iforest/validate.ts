import type { Matrix } from '../matrix.ts';

/** Throws when the matrix is malformed or holds a non-finite value, naming the row and column. */
export function checkFiniteMatrix(X: Matrix, what: string): void {
  if (!X || !(X.data instanceof Float64Array)) {
    throw new TypeError(`${what}: expected a Matrix { data: Float64Array, rows, cols }`);
  }
  const { data, rows, cols } = X;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || data.length !== rows * cols) {
    throw new RangeError(`${what}: matrix shape ${rows} x ${cols} does not match its ${data.length} values`);
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // v - v is 0 for finite v and NaN for NaN and +-Infinity.
    if (v - v !== 0) {
      const row = Math.floor(i / cols);
      const col = i - row * cols;
      const kind = Number.isNaN(v) ? 'NaN (missing values must be imputed before the forest)' : String(v);
      throw new RangeError(`${what}: row ${row}, column ${col} is ${kind}; the Isolation Forest needs finite numbers`);
    }
  }
}
