/**
 * The record store: one SQLite file (better-sqlite3, synchronous API) in WAL mode.
 *
 * Durability: `journal_mode=WAL` + `synchronous=FULL` (default, CX_DURABILITY=full): every
 * commit fsyncs the WAL before it returns, so a request that was answered survives a
 * process crash AND a power loss. CX_DURABILITY=normal (synchronous=NORMAL) survives a
 * process crash only, and saves the fsync (~6 ms a commit on the development machine).
 *
 * Sequence numbers: `seq` is an AUTOINCREMENT rowid, so it only grows and is never
 * reused even after pruning; it is the SSE event id and the paging cursor.
 *
 * Results are written by a second transaction once the record has been scored (scoring
 * happens after the ingest request is answered); a record stored with no result (crash in
 * between) is scored at the next start-up.
 *
 * Idempotency: a record may carry a client id (the configured id field). `client_id` is
 * UNIQUE; a record whose id is already stored is not written again and its original
 * seq is returned, so a client that retries an unanswered request (timeout, crash)
 * never creates duplicates.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface StoredRow {
  readonly seq: number;
  readonly receivedAt: number;
  readonly source: string;
  /** The record as JSON text (as stored). */
  readonly record: string;
  /** Its Result as JSON text, or null when it was stored unscored. */
  readonly result: string | null;
}

export interface NewRecord {
  readonly clientId: string | null;
  readonly ts: number | null;
  readonly segment: string | null;
  /** JSON text of the record. */
  readonly json: string;
}

export interface IngestOutcome {
  /** Per input record, in input order: its seq (new or the one stored before). */
  readonly seqs: number[];
  /** Per input record: true when it was already stored (same client id). */
  readonly duplicate: boolean[];
  /** Indices (into the input) of the records written by this call, with their rows. */
  readonly written: { index: number; row: StoredRow }[];
}

export interface StoredModel {
  readonly id: number;
  readonly createdAt: number;
  readonly source: string;
  readonly records: number;
  /** The model learnt the stored records up to this seq (later ones are replayed into it at load). */
  readonly throughSeq: number;
  readonly bytes: Uint8Array;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  client_id   TEXT UNIQUE,
  ts          INTEGER,
  segment     TEXT,
  source      TEXT NOT NULL,
  record      TEXT NOT NULL,
  result      TEXT,
  received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS records_source_ts ON records(source, ts);
CREATE INDEX IF NOT EXISTS records_unscored ON records(seq) WHERE result IS NULL;
CREATE TABLE IF NOT EXISTS models (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at INTEGER NOT NULL,
  source     TEXT NOT NULL,
  records    INTEGER NOT NULL,
  through_seq INTEGER NOT NULL,
  bytes      BLOB NOT NULL
);
`;

type Row = { seq: number; received_at: number; source: string; record: string; result: string | null };
const toStored = (r: Row): StoredRow => ({ seq: r.seq, receivedAt: r.received_at, source: r.source, record: r.record, result: r.result });

export class Store {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly durability: 'FULL' | 'NORMAL';
  private readonly stmts;
  private readonly ingestTx;
  private readonly resultsTx;

  constructor(path: string, durability: 'full' | 'normal' = 'full') {
    this.path = path;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.durability = durability === 'full' ? 'FULL' : 'NORMAL';
    this.db.pragma(`synchronous = ${this.durability}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.stmts = {
      byClientId: db.prepare<[string], { seq: number }>('SELECT seq FROM records WHERE client_id = ?'),
      insert: db.prepare<[string | null, number | null, string | null, string, string, string | null, number]>(
        'INSERT INTO records (client_id, ts, segment, source, record, result, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      since: db.prepare<[number, number, number, number], Row>(
        'SELECT seq, received_at, source, record, result FROM records WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ? OFFSET ?',
      ),
      latest: db.prepare<[number, number], Row>(
        'SELECT seq, received_at, source, record, result FROM (SELECT * FROM records WHERE seq <= ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
      ),
      setResult: db.prepare<[string, number]>('UPDATE records SET result = ? WHERE seq = ?'),
      unscored: db.prepare<[number], Row>(
        'SELECT seq, received_at, source, record, result FROM records WHERE result IS NULL ORDER BY seq LIMIT ?',
      ),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM records'),
      lastSeq: db.prepare<[], { s: number | null }>('SELECT max(seq) AS s FROM records'),
      lastTs: db.prepare<[string], { t: number | null }>('SELECT max(ts) AS t FROM records WHERE source = ?'),
      saveModel: db.prepare<[number, string, number, number, Uint8Array]>(
        'INSERT INTO models (created_at, source, records, through_seq, bytes) VALUES (?, ?, ?, ?, ?)',
      ),
      latestModel: db.prepare<[], { id: number; created_at: number; source: string; records: number; through_seq: number; bytes: Buffer }>(
        'SELECT id, created_at, source, records, through_seq, bytes FROM models ORDER BY id DESC LIMIT 1',
      ),
      pruneModels: db.prepare('DELETE FROM models WHERE id NOT IN (SELECT id FROM models ORDER BY id DESC LIMIT 3)'),
      prune: db.prepare<[number]>('DELETE FROM records WHERE seq <= ?'),
    };
    this.ingestTx = db.transaction((source: string, records: readonly NewRecord[]): IngestOutcome => {
      const n = records.length;
      const seqs = new Array<number>(n).fill(0);
      const duplicate = new Array<boolean>(n).fill(false);
      const written: { index: number; row: StoredRow }[] = [];
      const now = Date.now();
      for (let i = 0; i < n; i++) {
        const r = records[i]!;
        if (r.clientId !== null) {
          // Also finds an id repeated earlier in this same batch (written above, same transaction).
          const before = this.stmts.byClientId.get(r.clientId);
          if (before !== undefined) {
            duplicate[i] = true;
            seqs[i] = before.seq;
            continue;
          }
        }
        const info = this.stmts.insert.run(r.clientId, r.ts, r.segment, source, r.json, null, now);
        const seq = Number(info.lastInsertRowid);
        seqs[i] = seq;
        written.push({ index: i, row: { seq, receivedAt: now, source, record: r.json, result: null } });
      }
      return { seqs, duplicate, written };
    });
    this.resultsTx = db.transaction((pairs: readonly { seq: number; result: string }[]) => {
      for (const p of pairs) this.stmts.setResult.run(p.result, p.seq);
    });
  }

  /**
   * Writes a batch in ONE transaction (all or nothing) and returns once it is committed,
   * i.e. durable (see above). Records whose client id is already stored are skipped.
   */
  ingest(source: string, records: readonly NewRecord[]): IngestOutcome {
    return this.ingestTx.immediate(source, records);
  }

  /**
   * Stores the Results of scored records (one transaction), with synchronous=NORMAL for
   * that commit: results are derived data, recomputed at start-up if a crash loses them,
   * so they do not need the records' fsync, which would stall the event loop.
   */
  setResults(pairs: readonly { seq: number; result: string }[]): void {
    if (pairs.length === 0) return;
    if (this.durability === 'NORMAL') return void this.resultsTx(pairs);
    this.db.pragma('synchronous = NORMAL');
    try {
      this.resultsTx(pairs);
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  /** Stored records not scored yet (a crash between acknowledging and scoring), oldest first. */
  unscored(limit: number): StoredRow[] {
    return this.stmts.unscored.all(limit).map(toStored);
  }

  /** Records with seq > `since` (and <= `through` when given), oldest first. */
  since(since: number, limit: number, offset = 0, through = Number.MAX_SAFE_INTEGER): StoredRow[] {
    return this.stmts.since.all(since, through, limit, offset).map(toStored);
  }

  /** The newest `n` records (with seq <= `through` when given), oldest first. */
  latest(n: number, through = Number.MAX_SAFE_INTEGER): StoredRow[] {
    return this.stmts.latest.all(through, n).map(toStored);
  }

  count(): number {
    return this.stmts.count.get()!.n;
  }

  lastSeq(): number {
    return this.stmts.lastSeq.get()!.s ?? 0;
  }

  /** Latest record time written by a source (e.g. the replay, to resume its clock). */
  lastTimestamp(source: string): number | null {
    return this.stmts.lastTs.get(source)!.t;
  }

  saveModel(bytes: Uint8Array, source: string, records: number, throughSeq: number): number {
    const tx = this.db.transaction(() => {
      const info = this.stmts.saveModel.run(Date.now(), source, records, throughSeq, bytes);
      this.stmts.pruneModels.run();
      return Number(info.lastInsertRowid);
    });
    return tx();
  }

  latestModel(): StoredModel | null {
    const r = this.stmts.latestModel.get();
    if (!r) return null;
    return { id: r.id, createdAt: r.created_at, source: r.source, records: r.records, throughSeq: r.through_seq, bytes: new Uint8Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength) };
  }

  /** Deletes the oldest records beyond `keep`; returns how many went. */
  prune(keep: number): number {
    if (keep <= 0) return 0;
    const last = this.lastSeq();
    const n = this.count();
    if (n <= keep) return 0;
    // seq only grows; the cut is the seq below which `n - keep` rows lie.
    const cut = this.db.prepare<[number], { seq: number }>('SELECT seq FROM records ORDER BY seq LIMIT 1 OFFSET ?').get(n - keep - 1);
    if (!cut || cut.seq > last) return 0;
    return this.stmts.prune.run(cut.seq).changes;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
