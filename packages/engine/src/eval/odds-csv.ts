/**
 * A small, fast loader for the ODDS benchmark CSVs: a header line
 * `f0,...,f{d-1},label` then numeric rows. Not a general CSV reader (that is
 * `src/io/`): no quoting, no missing values; anything else is an error naming
 * the line.
 */
import { matrixFrom, type Matrix } from '../matrix.ts';

export interface LabelledData {
  readonly X: Matrix;
  readonly labels: Uint8Array;
  readonly columns: readonly string[];
}

export function parseOddsCsv(text: string, source = 'input'): LabelledData {
  let lineEnd = text.indexOf('\n');
  if (lineEnd < 0) lineEnd = text.length;
  const columns = text.slice(0, lineEnd).trim().split(',').map((c) => c.trim());
  const labelCol = columns.indexOf('label');
  if (labelCol !== columns.length - 1 || columns.length < 2) {
    throw new Error(`${source}: expected header f0,...,f{d-1},label, got "${columns.join(',')}"`);
  }
  const d = columns.length - 1;
  let values = new Float64Array(1024 * d);
  let labels = new Uint8Array(1024);
  let rows = 0;
  let pos = lineEnd + 1;
  let line = 2;
  const n = text.length;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = n;
    if (end > pos && !(end === pos + 1 && text.charCodeAt(pos) === 13)) {
      if (rows === labels.length) {
        const v2 = new Float64Array(values.length * 2);
        v2.set(values);
        values = v2;
        const l2 = new Uint8Array(labels.length * 2);
        l2.set(labels);
        labels = l2;
      }
      let start = pos;
      for (let c = 0; c <= d; c++) {
        let comma = c < d ? text.indexOf(',', start) : end;
        if (comma < 0 || comma > end) throw new Error(`${source}: line ${line} has fewer than ${d + 1} fields`);
        const v = Number(text.slice(start, comma));
        if (Number.isNaN(v) || start === comma) {
          throw new Error(`${source}: line ${line}, column "${columns[c]}" is not a number: "${text.slice(start, comma)}"`);
        }
        if (c < d) values[rows * d + c] = v;
        else if (v === 0 || v === 1) labels[rows] = v;
        else throw new Error(`${source}: line ${line}: label must be 0 or 1, got ${v}`);
        start = comma + 1;
      }
      rows++;
    }
    pos = end + 1;
    line++;
  }
  return { X: matrixFrom(values.slice(0, rows * d), rows, d), labels: labels.slice(0, rows), columns: columns.slice(0, d) };
}
