/**
 * Incremental RFC 4180 CSV parser that works on string chunks, in Node and in
 * browsers alike (no Node built-ins).
 *
 * - Quoted fields, `""` escapes, delimiters and newlines (LF, CRLF, lone CR)
 *   inside quotes, a leading byte-order mark: all handled, also when a chunk
 *   boundary falls anywhere (inside a quote, between CR and LF, ...).
 * - The parser keeps its state between chunks (the unfinished field and row),
 *   so no text is ever re-scanned: a 1 GB file costs one pass whatever the
 *   chunk size.
 * - Completely blank lines are skipped (they are what editors leave at the end
 *   of files; RFC 4180 gives them no meaning).
 * - Every row must have as many fields as the header (or as the first row when
 *   there is no header): a ragged row is a {@link CsvError} naming its line.
 * - A quote inside an unquoted field is kept as text (lenient, as most tools);
 *   text after a closing quote (`"ab"c`) is an error naming the line.
 *
 * Speed: one `charCodeAt` loop per unquoted field and `indexOf` to jump to the
 * closing quote of quoted fields; no regular expression, no per-character
 * allocation.
 */

export class CsvError extends Error {
  override name = 'CsvError';
  /** 1-based line of the input where the problem is. */
  readonly line: number;
  constructor(message: string, line: number) {
    super(message);
    this.line = line;
  }
}

export interface CsvParserOptions {
  /** Field delimiter, one character. Default `,`. */
  readonly delimiter?: string;
  /** Treat the first row as the header (exposed as {@link CsvParser.header}, not returned as data). Default true. */
  readonly header?: boolean;
  /** Name of the input, for error messages (e.g. the file path). */
  readonly source?: string;
}

const QUOTE = 34; // "
const LF = 10;
const CR = 13;

// Parser states.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3; // a quote seen inside a quoted field: either `""` or the closing quote

export class CsvParser {
  /** The header row once read (header mode), else undefined. */
  header: string[] | undefined;
  /**
   * 1-based input line on which each row returned by the last `push`/`end`
   * started (parallel to the returned array), for error messages downstream.
   */
  lines: number[] = [];

  private readonly delim: number;
  private readonly wantHeader: boolean;
  private readonly source: string;
  private state = FIELD_START;
  private partial = ''; // text of the current field gathered from earlier chunks
  private row: string[] = [];
  private width = -1; // expected fields per row, -1 until known
  private line = 1; // current line of the input
  private rowLine = 1; // line where the current row started
  private skipLf = false; // last char seen was CR: a following LF belongs to it
  private crInQuote = false; // a quoted field's text ended a chunk with CR (already counted as a line)
  private started = false; // BOM check done
  private ended = false;
  private out: string[][] = [];
  private rowsSeen = 0;

  constructor(options: CsvParserOptions = {}) {
    const d = options.delimiter ?? ',';
    if (d.length !== 1 || d === '"' || d === '\n' || d === '\r') {
      throw new Error(`CsvParser: delimiter must be one character other than a quote or newline, got ${JSON.stringify(d)}`);
    }
    this.delim = d.charCodeAt(0);
    this.wantHeader = options.header ?? true;
    this.source = options.source ?? 'input';
  }

  /** Number of data rows completed so far (header excluded). */
  get rowCount(): number {
    return this.rowsSeen;
  }

  /** Parses a chunk; returns the data rows completed by it (possibly none). */
  push(chunk: string): string[][] {
    if (this.ended) throw new Error('CsvParser: push() after end()');
    this.out = [];
    this.lines = [];
    let i = 0;
    const n = chunk.length;
    if (!this.started && n > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1;
    }
    if (this.skipLf && i < n) {
      this.skipLf = false;
      if (chunk.charCodeAt(i) === LF) i++;
    }
    const delim = this.delim;
    while (i < n) {
      switch (this.state) {
        case FIELD_START: {
          const c = chunk.charCodeAt(i);
          if (c === QUOTE) {
            this.state = QUOTED;
            i++;
          } else if (c === delim) {
            this.row.push('');
            i++;
          } else if (c === LF || c === CR) {
            // End of row; the field being started is empty (or the line is blank).
            if (this.row.length > 0) this.row.push('');
            i = this.newline(chunk, i, c);
            this.endRow();
          } else {
            this.state = UNQUOTED;
          }
          break;
        }
        case UNQUOTED: {
          let j = i;
          let c = 0;
          while (j < n) {
            c = chunk.charCodeAt(j);
            if (c === delim || c === LF || c === CR) break;
            j++;
          }
          if (j === n) {
            // Field continues in the next chunk.
            this.partial += chunk.slice(i, j);
            i = j;
            break;
          }
          this.row.push(this.partial === '' ? chunk.slice(i, j) : this.partial + chunk.slice(i, j));
          this.partial = '';
          this.state = FIELD_START;
          if (c === delim) {
            i = j + 1;
            // A delimiter right before end of line means one more, empty, field:
            // FIELD_START handles it when it sees the newline (row non-empty).
          } else {
            i = this.newline(chunk, j, c);
            this.endRow();
          }
          break;
        }
        case QUOTED: {
          const q = chunk.indexOf('"', i);
          const end = q === -1 ? n : q;
          // Count newlines inside the quoted text so later line numbers stay right.
          for (let k = i; k < end; k++) {
            const c = chunk.charCodeAt(k);
            if (c === LF) {
              if (!(k === 0 && this.crInQuote)) this.line++;
            } else if (c === CR) {
              if (k + 1 >= n) this.line++; // counted here; an LF opening the next chunk is then skipped
              else if (chunk.charCodeAt(k + 1) !== LF) this.line++;
            }
          }
          this.crInQuote = end === n && n > 0 && chunk.charCodeAt(n - 1) === CR;
          this.partial += chunk.slice(i, end);
          if (q === -1) {
            i = n;
          } else {
            this.state = QUOTE_IN_QUOTED;
            i = q + 1;
          }
          break;
        }
        case QUOTE_IN_QUOTED: {
          const c = chunk.charCodeAt(i);
          if (c === QUOTE) {
            this.partial += '"';
            this.state = QUOTED;
            i++;
          } else if (c === delim) {
            this.row.push(this.partial);
            this.partial = '';
            this.state = FIELD_START;
            i++;
          } else if (c === LF || c === CR) {
            this.row.push(this.partial);
            this.partial = '';
            this.state = FIELD_START;
            i = this.newline(chunk, i, c);
            this.endRow();
          } else {
            throw new CsvError(
              `${this.source}: line ${this.line}: unexpected character ${JSON.stringify(chunk[i])} after a closing quote (a quote inside a quoted field must be doubled)`,
              this.line,
            );
          }
          break;
        }
      }
    }
    return this.out;
  }

  /** Finishes the input: returns the last row if it had no trailing newline. */
  end(): string[][] {
    if (this.ended) return [];
    this.out = [];
    this.lines = [];
    if (this.state === QUOTED) {
      throw new CsvError(`${this.source}: line ${this.rowLine}: quoted field not closed before the end of the input`, this.rowLine);
    }
    if (this.state === UNQUOTED || this.state === QUOTE_IN_QUOTED) {
      this.row.push(this.partial);
      this.partial = '';
    } else if (this.row.length > 0) {
      this.row.push(''); // trailing delimiter at end of input
    }
    this.state = FIELD_START;
    this.endRow();
    this.ended = true;
    if (this.wantHeader && this.header === undefined) {
      throw new CsvError(`${this.source}: the input is empty (no header row)`, 1);
    }
    return this.out;
  }

  /** Consumes the newline at `i` (LF, CRLF or CR), counts the line, returns the next index. */
  private newline(chunk: string, i: number, c: number): number {
    this.line++;
    if (c === CR) {
      if (i + 1 < chunk.length) {
        return chunk.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
      }
      this.skipLf = true; // the LF, if any, is in the next chunk
    }
    return i + 1;
  }

  private endRow(): void {
    const row = this.row;
    const startLine = this.rowLine;
    this.rowLine = this.line;
    if (row.length === 0) return; // blank line
    this.row = [];
    if (this.width === -1) {
      this.width = row.length;
      if (this.wantHeader) {
        this.header = row;
        return;
      }
    } else if (row.length !== this.width) {
      throw new CsvError(
        `${this.source}: line ${startLine}: row has ${row.length} field${row.length === 1 ? '' : 's'}, expected ${this.width}` +
          (this.header ? ` (as the header)` : ` (as the first row)`),
        startLine,
      );
    }
    this.rowsSeen++;
    this.out.push(row);
    this.lines.push(startLine);
  }
}

/** Parses a whole CSV text at once (tests, small inputs). */
export function parseCsv(text: string, options: CsvParserOptions = {}): { header: string[]; rows: string[][]; lines: number[] } {
  const parser = new CsvParser({ ...options, header: true });
  const rows = parser.push(text);
  const lines = parser.lines;
  const last = parser.end();
  for (let k = 0; k < last.length; k++) {
    rows.push(last[k]!);
    lines.push(parser.lines[k]!);
  }
  return { header: parser.header ?? [], rows, lines };
}
