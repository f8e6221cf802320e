/**
 * The SSE hub: every connected /stream client, one broadcast of each scored record.
 *
 * Wire format (text/event-stream):
 *   id: <store seq>            every record event carries its store sequence number
 *   event: scored              one per scored record
 *   data: {"seq":..,"receivedAt":..,"source":"ingest|replay|rollup","record":{..},"result":{..}}
 *
 *   id: <store seq>
 *   event: anomaly             additionally, when result.isAnomaly (same data)
 *
 *   event: heartbeat           every heartbeatMs, no id: {"time":..,"lastSeq":..}
 *
 * Each event's text is built once and written to every client. A client that cannot keep
 * up (its socket buffer grows past MAX_BUFFERED) is dropped; the browser's EventSource
 * reconnects with Last-Event-ID and resumes from the store, so nothing is lost for it.
 */
import type { ServerResponse } from 'node:http';
import type { StoredRow } from './store.ts';

/** Bytes a client may have unsent before it is dropped as too slow. */
export const MAX_BUFFERED = 4 * 1024 * 1024;

export interface SseClient {
  readonly id: number;
  readonly res: ServerResponse;
}

/** The data text of a record event (stored JSON is spliced in, not re-serialised). */
export function eventData(row: StoredRow): string {
  return `{"seq":${row.seq},"receivedAt":${row.receivedAt},"source":${JSON.stringify(row.source)},"record":${row.record},"result":${row.result ?? 'null'}}`;
}

/** The SSE text of one stored, scored record: `scored`, plus `anomaly` when it is one. */
export function recordEvents(row: StoredRow, isAnomaly: boolean): string {
  const data = eventData(row);
  let s = `id: ${row.seq}\nevent: scored\ndata: ${data}\n\n`;
  if (isAnomaly) s += `id: ${row.seq}\nevent: anomaly\ndata: ${data}\n\n`;
  return s;
}

export class SseHub {
  private readonly clients = new Map<number, SseClient>();
  private nextId = 1;
  private timer: NodeJS.Timeout | null = null;
  /** Clients dropped for being too slow (for /metrics). */
  dropped = 0;

  constructor(
    readonly maxClients: number,
    private readonly heartbeatMs: number,
    private readonly lastSeq: () => number,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  get full(): boolean {
    return this.clients.size >= this.maxClients;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.heartbeat(), this.heartbeatMs);
    this.timer.unref();
  }

  /** Registers a response whose SSE headers have been written; it leaves the hub when it closes. */
  add(res: ServerResponse): SseClient {
    const client: SseClient = { id: this.nextId++, res };
    this.clients.set(client.id, client);
    res.on('close', () => this.clients.delete(client.id));
    return client;
  }

  /** Writes one block of SSE text to every client. */
  send(text: string): void {
    if (text === '') return;
    for (const c of this.clients.values()) this.write(c, text);
  }

  write(c: SseClient, text: string): void {
    if (c.res.writableEnded || c.res.destroyed) {
      this.clients.delete(c.id);
      return;
    }
    if (c.res.writableLength > MAX_BUFFERED) {
      this.dropped++;
      this.clients.delete(c.id);
      c.res.destroy();
      return;
    }
    c.res.write(text);
  }

  heartbeat(): void {
    this.send(`event: heartbeat\ndata: {"time":${Date.now()},"lastSeq":${this.lastSeq()}}\n\n`);
  }

  /** Ends every stream (server shutdown). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const c of this.clients.values()) c.res.end();
    this.clients.clear();
  }
}
