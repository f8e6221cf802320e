/**
 * Progress on stderr, only when stderr is a terminal (never in pipes, logs or
 * tests): rows, rows/s and the share of the file's bytes read.
 */
import { cliIo, writeErr } from './io.ts';

export class Progress {
  private readonly enabled: boolean;
  private readonly t0 = performance.now();
  private last = 0;
  private shown = false;

  constructor(private readonly label: string) {
    this.enabled = cliIo().stderr.isTTY === true && process.env['CX_NO_PROGRESS'] === undefined;
  }

  update(rows: number, bytesRead: number, totalBytes: number): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.last < 200) return;
    this.last = now;
    const secs = (now - this.t0) / 1000;
    const rate = secs > 0 ? Math.round(rows / secs) : 0;
    const pct = totalBytes > 0 ? ((100 * bytesRead) / totalBytes).toFixed(1) : '100.0';
    writeErr(`\r${this.label}: ${rows.toLocaleString('en-US')} rows, ${rate.toLocaleString('en-US')} rows/s, ${pct}%   `);
    this.shown = true;
  }

  done(): void {
    if (this.enabled && this.shown) writeErr('\r\x1b[2K');
  }

  get seconds(): number {
    return (performance.now() - this.t0) / 1000;
  }
}
