/**
 * Test helpers: a real server (createServer + listen) on a free loopback port, with a
 * throw-away store and a small, fast model (3 days of generated data, 10 trees).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, loadConfig, type CxServer, type ServerConfig } from '../src/index.ts';

/** The default CX_FIELDS (test servers run on it unless a test names other fields). */
export const FIELDS = 'aht_avg:high,csat_avg:low,transfer_rate:high,volume,aht_max:high:log';
/** The default CX_FIELDS before aht_max: what a store from an older version was trained on. */
export const FIELDS_V1 = 'aht_avg:high,csat_avg:low,transfer_rate:high,volume';

/** Settings that keep start-up training to about a second. */
export const FAST: Partial<ServerConfig> = {
  port: 0,
  host: '127.0.0.1',
  replay: false,
  generateDays: 3,
  numTrees: 10,
  sampleSize: 64,
  logLevel: 'silent',
  rateLimit: 0,
  heartbeatMs: 60_000,
};

export interface TestServer {
  readonly url: string;
  readonly server: CxServer;
  readonly dir: string;
  close(): Promise<void>;
}

export function tempDir(prefix = 'cx-server-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startServer(overrides: Partial<ServerConfig> = {}, opts: { waitReady?: boolean; dir?: string } = {}): Promise<TestServer> {
  const dir = opts.dir ?? tempDir();
  const config = loadConfig({ env: {}, argv: [], overrides: { ...FAST, store: join(dir, 'cx.sqlite'), ...overrides } });
  const server = await createServer(config, { logger: false });
  const url = await server.listen();
  if (opts.waitReady !== false) await server.started;
  return {
    url,
    server,
    dir,
    async close() {
      await server.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An interval record of a queue at a 15-minute slot after 2026-01-05. */
export function interval(i: number, queue = 'billing', over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    timestamp: new Date(Date.UTC(2026, 0, 5) + i * 15 * 60_000).toISOString(),
    queue,
    volume: 40 + (i % 7),
    aht_avg: 330 + ((i * 37) % 50),
    transfer_rate: 0.07 + ((i % 5) - 2) * 0.005,
    csat_avg: i % 3 === 0 ? null : 4.2 + ((i % 4) - 2) * 0.05,
    csat_responses: i % 3 === 0 ? 0 : 3,
    // Longest contact: a few times the mean, as in the generator's intervals.csv.
    aht_max: 900 + ((i * 53) % 300),
    ...over,
  };
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(url, { method: 'POST', body: text, headers: { 'content-type': 'application/json', ...headers } });
  const raw = await res.text();
  let json: any = raw;
  try {
    json = JSON.parse(raw);
  } catch {
    // not JSON
  }
  return { status: res.status, json, headers: res.headers };
}

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Reads SSE events from /stream until `until` returns true or the timeout passes. */
export async function readSse(
  url: string,
  until: (events: SseEvent[]) => boolean,
  opts: { headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<SseEvent[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), opts.timeoutMs ?? 10_000);
  const events: SseEvent[] = [];
  try {
    const res = await fetch(url, { headers: opts.headers, signal: ac.signal });
    if (res.status !== 200) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let cut: number;
      while ((cut = buf.indexOf('\n\n')) !== -1) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const ev: SseEvent = { event: 'message', data: '' };
        let hasData = false;
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) ev.id = line.slice(4);
          else if (line.startsWith('event: ')) ev.event = line.slice(7);
          else if (line.startsWith('data: ')) {
            ev.data += line.slice(6);
            hasData = true;
          }
        }
        if (hasData) events.push(ev);
      }
      if (until(events)) break;
    }
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return events;
}
