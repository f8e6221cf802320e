/**
 * Node-side CSV streaming: read a file in chunks and yield batches of parsed
 * rows (the file is never held in memory whole: a 1 GB file costs one chunk
 * plus one batch of rows at a time), and write CSV rows to a file or stdout
 * with back-pressure.
 */
import { createReadStream, createWriteStream, openSync, realpathSync, renameSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { CsvParser } from '../io/csv-parser.ts';
import { csvRow } from '../io/csv-writer.ts';
import { CliError } from './errors.ts';
import { cliIo } from './io.ts';

export interface CsvBatch {
  readonly header: string[];
  readonly rows: string[][];
  /** Input line of each row. */
  readonly lines: number[];
  /** Data rows before this batch. */
  readonly rowOffset: number;
  /** Bytes of the file read so far, and its size (for progress). */
  readonly bytesRead: number;
  readonly totalBytes: number;
}

export interface ReadCsvOptions {
  /** Rows per yielded batch (the last may be smaller). Default 8192. */
  readonly batchRows?: number;
  /** Bytes read from disk at a time. Default 64 KiB (measured faster here than 16 KiB or 256 KiB-1 MiB chunks). */
  readonly chunkBytes?: number;
  readonly delimiter?: string;
}

/** Size of a readable file; a CliError naming the path when it is missing or not a file. */
export function fileSize(path: string, what = 'input file'): number {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${what} not found: ${path}` : `cannot read ${what} ${path}: ${(e as Error).message}`);
  }
  if (!st.isFile()) throw new CliError(`${what} is not a file: ${path}`);
  return st.size;
}

/** Reads a CSV file with a header row, yielding batches of rows. An empty file is a CsvError. */
export async function* readCsvBatches(path: string, options: ReadCsvOptions = {}): AsyncGenerator<CsvBatch> {
  const totalBytes = fileSize(path);
  const batchRows = options.batchRows ?? 8192;
  const parser = new CsvParser({ header: true, source: path, ...(options.delimiter ? { delimiter: options.delimiter } : {}) });
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: options.chunkBytes ?? 1 << 16 });
  let rows: string[][] = [];
  let lines: number[] = [];
  let offset = 0;
  const take = (got: string[][], gotLines: number[]): void => {
    for (let k = 0; k < got.length; k++) {
      rows.push(got[k]!);
      lines.push(gotLines[k]!);
    }
  };
  try {
    for await (const chunk of stream) {
      take(parser.push(chunk as string), parser.lines);
      while (rows.length >= batchRows) {
        const batch = rows.length === batchRows ? rows : rows.slice(0, batchRows);
        const batchLines = lines.length === batchRows ? lines : lines.slice(0, batchRows);
        rows = rows.length === batchRows ? [] : rows.slice(batchRows);
        lines = lines.length === batchRows ? [] : lines.slice(batchRows);
        yield { header: parser.header!, rows: batch, lines: batchLines, rowOffset: offset, bytesRead: stream.bytesRead, totalBytes };
        offset += batch.length;
      }
    }
    take(parser.end(), parser.lines);
  } finally {
    stream.destroy();
  }
  if (rows.length > 0 || offset === 0) {
    yield { header: parser.header!, rows, lines, rowOffset: offset, bytesRead: totalBytes, totalBytes };
  }
}

/** Reads only the header and the first `n` rows (for detecting numeric columns). */
export async function readCsvHead(path: string, n: number): Promise<{ header: string[]; rows: string[][] }> {
  for await (const batch of readCsvBatches(path, { batchRows: n, chunkBytes: 1 << 16 })) {
    return { header: batch.header, rows: batch.rows };
  }
  throw new CliError(`${path}: no header row`);
}

/**
 * Temporary outputs not committed yet. Removed when the process is interrupted (Ctrl-C,
 * SIGTERM, SIGHUP: Node's default is to die at once, which would leave them behind) or
 * exits; the signal is then raised again, so the exit status still says what stopped it.
 */
const pendingTemps = new Set<string>();
const CLEANUP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function removePendingTemps(): void {
  for (const temp of pendingTemps) {
    try {
      unlinkSync(temp);
    } catch {
      // Already gone.
    }
  }
  pendingTemps.clear();
}

function onCleanupSignal(signal: NodeJS.Signals): void {
  removePendingTemps();
  unwatchTemps();
  process.kill(process.pid, signal);
}

function watchTemp(temp: string): void {
  pendingTemps.add(temp);
  if (pendingTemps.size !== 1) return;
  for (const s of CLEANUP_SIGNALS) process.on(s, onCleanupSignal);
  process.on('exit', removePendingTemps);
}

function unwatchTemp(temp: string): void {
  pendingTemps.delete(temp);
  if (pendingTemps.size === 0) unwatchTemps();
}

function unwatchTemps(): void {
  for (const s of CLEANUP_SIGNALS) process.off(s, onCleanupSignal);
  process.off('exit', removePendingTemps);
}

/**
 * Buffered CSV output with back-pressure. Rows are joined into ~256 KB writes;
 * `await writeRow` only waits when the destination's buffer is full.
 *
 * A file is written under a temporary name in its folder and renamed over the
 * destination by {@link commit} once the command has succeeded, so that:
 * - a run that fails (bad row, empty input) leaves no half-written or header-only
 *   file, and an earlier file of that name stays as it was;
 * - `--out` may name the input itself: the input is read to its end before it is
 *   replaced (writing to it directly truncated it before the first row was read);
 * - an unwritable destination (no such folder, a folder, no permission) is a clear
 *   error when the output is opened, before any work (a write stream reports it
 *   later, as an 'error' event that nothing listened to: a crash with a stack trace).
 */
export class CsvOutput {
  private parts: string[] = [];
  private size = 0;
  /** The first error the file's write stream reported (events come asynchronously). */
  private failure: Error | null = null;
  private constructor(
    private readonly stream: Writable,
    /** The destination and the temporary file written until commit() (null: a device or pipe, written directly); null for stdout. */
    private readonly file: { readonly path: string; readonly temp: string | null } | null,
  ) {
    if (file !== null) stream.on('error', (e: Error) => (this.failure ??= e));
  }

  /** To a file (see the class comment), or to stdout when path is undefined or '-'. */
  static open(path: string | undefined): CsvOutput {
    if (path === undefined || path === '-') return new CsvOutput(cliIo().stdout, null);
    let existing: Stats | null = null;
    try {
      existing = statSync(path);
    } catch {
      // Does not exist yet: the usual case.
    }
    if (existing?.isDirectory()) throw new CliError(`cannot write ${path}: it is a folder`);
    const fail = (e: unknown): never => {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? `folder ${dirname(path)} does not exist` : code === 'EACCES' || code === 'EPERM' ? `permission denied in ${dirname(path)}` : (e as Error).message;
      throw new CliError(`cannot write ${path}: ${why}`);
    };
    if (existing !== null && !existing.isFile()) {
      // A device or a pipe (/dev/null, /dev/stdout, a FIFO): written as it is; renaming a
      // file over it would replace the device itself.
      let fd = -1;
      try {
        fd = openSync(path, 'w');
      } catch (e) {
        fail(e);
      }
      return new CsvOutput(createWriteStream(path, { fd }), { path, temp: null });
    }
    // Through a symbolic link: the file it points to is replaced, not the link.
    const target = existing !== null ? realpathSync(path) : path;
    // Hidden, and named after the process, so two runs into one folder do not collide.
    const temp = join(dirname(target), `.${basename(target)}.${process.pid}.partial`);
    let fd = -1;
    try {
      fd = openSync(temp, 'w');
    } catch (e) {
      fail(e);
    }
    watchTemp(temp);
    return new CsvOutput(createWriteStream(temp, { fd }), { path: target, temp });
  }

  async writeRow(fields: readonly unknown[]): Promise<void> {
    const s = csvRow(fields);
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 18) await this.flush();
  }

  /** Rows already formatted as CSV text (each ending with LF), e.g. a whole scored batch. */
  async writeText(text: string): Promise<void> {
    if (text.length === 0) return;
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= 1 << 18) await this.flush();
  }

  async flush(): Promise<void> {
    this.throwIfFailed();
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }

  /** Writes the rest and, for a file, puts it in place of the destination. */
  async commit(): Promise<void> {
    if (this.file === null) return this.flush();
    try {
      await this.flush();
      this.stream.end();
      await once(this.stream, 'finish');
      this.throwIfFailed();
      if (this.file.temp !== null) {
        renameSync(this.file.temp, this.file.path);
        unwatchTemp(this.file.temp);
      }
    } catch (e) {
      this.stream.destroy();
      this.removeTemp();
      throw e instanceof CliError ? e : new CliError(`cannot write ${this.file.path}: ${(e as Error).message}`);
    }
  }

  /**
   * The command failed: a file's temporary output is removed (the destination is left
   * as it was); on stdout the rows scored before the failure are still written, as a
   * filter's output is.
   */
  async abort(): Promise<void> {
    if (this.file === null) {
      // The command's own error is the one reported; a stdout that cannot take the rest
      // (a closed pipe) has nothing to add to it.
      await this.flush().catch(() => {});
      return;
    }
    this.parts = [];
    this.stream.destroy();
    this.removeTemp();
  }

  private removeTemp(): void {
    if (this.file?.temp == null) return;
    try {
      unlinkSync(this.file.temp);
    } catch {
      // Already gone.
    }
    unwatchTemp(this.file.temp);
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw new CliError(`cannot write ${this.file!.path}: ${this.failure.message}`);
  }
}
