/**
 * Crash safety: a server in a child process, two clients ingesting in a loop, SIGKILL
 * mid-way, a restart on the same store. Every acknowledged record must be there, and no
 * record twice: records carry a client id (the `id` field), so the batches whose answer
 * was lost in the crash are simply sent again after the restart (idempotent retry).
 * Records acknowledged but not yet scored at the kill are scored after the restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as netServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interval, tempDir } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = netServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function startChild(port: number, store: string): ChildProcess {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      CX_STORE: store,
      CX_REPLAY: 'off',
      CX_GENERATE_DAYS: '3',
      CX_NUM_TREES: '10',
      CX_SAMPLE_SIZE: '64',
      CX_RATE_LIMIT: '0',
      CX_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    if (/error/i.test(d)) process.stderr.write(`[server] ${d}`);
  });
  return child;
}

/** Resolves when the child has exited (at once when it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

async function waitHealthy(url: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${url} did not come up`);
}

const BATCH = 20;
const batchOf = (b: number): Record<string, unknown>[] =>
  Array.from({ length: BATCH }, (_, k) => interval(b * BATCH + k, k % 2 ? 'billing' : 'sales', { id: `rec-${b}-${k}` }));

async function send(url: string, b: number): Promise<boolean> {
  const res = await fetch(`${url}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batchOf(b)) });
  if (res.status !== 201 && res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { count: number };
  return body.count === BATCH;
}

test('SIGKILL mid-ingest: every acknowledged record survives, none twice', { timeout: 240_000 }, async () => {
  const dir = tempDir();
  const store = join(dir, 'cx.sqlite');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child = startChild(port, store);
  await waitHealthy(url);

  const acked = new Set<number>();
  const unknown = new Set<number>();
  let next = 0;
  let killed = false;
  const client = async (): Promise<void> => {
    while (!killed) {
      const b = next++;
      try {
        if (await send(url, b)) acked.add(b);
      } catch {
        unknown.add(b); // the answer was lost: it may or may not have been written
        return;
      }
    }
  };
  const clients = [client(), client()];
  while (acked.size < 30) await new Promise((r) => setTimeout(r, 5));
  // Killed while both clients have a request in flight (or about to start one).
  child.kill('SIGKILL');
  killed = true;
  await Promise.all(clients);
  await exited(child);
  assert.ok(acked.size >= 30);
  // Usually a request was in flight and lost its answer (`unknown`); when the kill fell
  // between two requests of both clients there is none, and the retry below is a no-op.

  // Restart on the same store; retry the batches whose outcome is unknown.
  child = startChild(port, store);
  try {
    await waitHealthy(url);
    for (const b of unknown) assert.equal(await send(url, b), true);

    const seen = new Map<string, number>();
    let since = 0;
    let lastSeq = 0;
    for (;;) {
      const page = (await (await fetch(`${url}/records?since=${since}&limit=1000`)).json()) as { records: { seq: number; record: { id: string } }[] };
      for (const r of page.records) {
        assert.ok(r.seq > lastSeq, 'seqs only grow');
        lastSeq = r.seq;
        seen.set(r.record.id, (seen.get(r.record.id) ?? 0) + 1);
      }
      if (page.records.length < 1000) break;
      since = lastSeq;
    }
    for (const b of acked) for (let k = 0; k < BATCH; k++) assert.equal(seen.get(`rec-${b}-${k}`), 1, `acknowledged rec-${b}-${k} is stored once`);
    for (const b of unknown) for (let k = 0; k < BATCH; k++) assert.equal(seen.get(`rec-${b}-${k}`), 1, `retried rec-${b}-${k} is stored once`);
    for (const [id, n] of seen) assert.equal(n, 1, `${id} stored once`);

    // Everything stored gets scored after the restart, including what the crash left unscored.
    const end = Date.now() + 60_000;
    let h: { store: { lastSeq: number; scoredThrough: number } };
    do {
      await new Promise((r) => setTimeout(r, 200));
      h = await (await fetch(`${url}/health`)).json();
    } while (h.store.scoredThrough < h.store.lastSeq && Date.now() < end);
    assert.equal(h.store.scoredThrough, h.store.lastSeq);
  } finally {
    child.kill('SIGTERM');
    await exited(child);
  }
});
