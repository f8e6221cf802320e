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
import type { Interaction, RollupPlan, RollupState } from './rollup.ts';

export interface StoredRow {
  readonly seq: number;
  readonly receivedAt: number;
  readonly source: string;
  /** The record as JSON text (as stored). */
  readonly record: string;
  /** Its Result as JSON text, or null when it was stored unscored. */
  readonly result: string | null;
  /** Its segment, where the reader has it (rows written now, unscored rows): the scoring pipeline routes by it. */
  readonly segment?: string | null;
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
  /** The interactions of the call, when it had some. */
  readonly interactions?: InteractionOutcome;
}

export interface NewInteraction {
  readonly clientId: string | null;
  readonly interaction: Interaction;
  /** JSON text of the record as received. */
  readonly json: string;
}

export interface InteractionOutcome {
  /** Per input interaction: its seq in the interactions table (new or stored before). */
  readonly seqs: number[];
  readonly duplicate: boolean[];
  /** Indices of the interactions written by this call and added to open intervals. */
  readonly added: number[];
  /** Indices of the interactions written by this call after their interval had closed (not rolled up). */
  readonly late: number[];
  /** Interval records the roll-up closed in this transaction (already stored, unscored). */
  readonly rolled: StoredRow[];
  /** The roll-up plan committed with them (the caller applies it to its Rollup). */
  readonly plan: RollupPlan;
}

/** What a batch of interactions needs from the roll-up, inside the store's transaction. */
export interface RollupHooks {
  isLate(ts: number): boolean;
  /** Given the interactions just written (not late, not duplicate), the intervals to close. */
  plan(added: readonly Interaction[]): RollupPlan;
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
-- (records_source_ts, an index for lastTimestamp(), is gone: ~30 % of an insert's cost; the
-- latest time per source is kept in meta instead.)
DROP INDEX IF EXISTS records_source_ts;
CREATE INDEX IF NOT EXISTS records_unscored ON records(seq) WHERE result IS NULL;
CREATE TABLE IF NOT EXISTS interactions (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  client_id    TEXT UNIQUE,
  ts           INTEGER NOT NULL,
  segment      TEXT,
  aht          REAL NOT NULL,
  transferred  INTEGER NOT NULL,
  csat         REAL,
  record       TEXT NOT NULL,
  received_at  INTEGER NOT NULL,
  -- NULL: its interval is open; 0: it came after its interval had closed (late: not rolled up);
  -- else the seq (records table) of the interval record it was rolled up into.
  interval_seq INTEGER
);
CREATE INDEX IF NOT EXISTS interactions_open ON interactions(segment, ts) WHERE interval_seq IS NULL;
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS models (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at INTEGER NOT NULL,
  source     TEXT NOT NULL,
  records    INTEGER NOT NULL,
  through_seq INTEGER NOT NULL,
  bytes      BLOB NOT NULL
);
`;

type Row = { seq: number; received_at: number; source: string; record: string; result: string | null; segment?: string | null };
const toStored = (r: Row): StoredRow =>
  r.segment === undefined
    ? { seq: r.seq, receivedAt: r.received_at, source: r.source, record: r.record, result: r.result }
    : { seq: r.seq, receivedAt: r.received_at, source: r.source, record: r.record, result: r.result, segment: r.segment };

export class Store {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly durability: 'FULL' | 'NORMAL';
  private readonly stmts;
  private readonly ingestTx;
  private readonly resultsTx;
  private readonly rollupTx;
  private readonly groupTx;

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
      unscored: db.prepare<[number, number], Row>(
        'SELECT seq, received_at, source, record, result, segment FROM records WHERE seq > ? AND result IS NULL ORDER BY seq LIMIT ?',
      ),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM records'),
      lastSeq: db.prepare<[], { s: number | null }>('SELECT max(seq) AS s FROM records'),
      lastTs: db.prepare<[string], { t: number | null }>('SELECT max(ts) AS t FROM records WHERE source = ?'),
      lastTsMeta: db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = 'last_ts:' || ?"),
      setLastTs: db.prepare<[string, number]>(
        "INSERT INTO meta (key, value) VALUES ('last_ts:' || ?, ?) ON CONFLICT(key) DO UPDATE SET value = CASE WHEN CAST(excluded.value AS INTEGER) > CAST(meta.value AS INTEGER) THEN excluded.value ELSE meta.value END",
      ),
      saveModel: db.prepare<[number, string, number, number, Uint8Array]>(
        'INSERT INTO models (created_at, source, records, through_seq, bytes) VALUES (?, ?, ?, ?, ?)',
      ),
      latestModel: db.prepare<[], { id: number; created_at: number; source: string; records: number; through_seq: number; bytes: Buffer }>(
        'SELECT id, created_at, source, records, through_seq, bytes FROM models ORDER BY id DESC LIMIT 1',
      ),
      pruneModels: db.prepare('DELETE FROM models WHERE id NOT IN (SELECT id FROM models ORDER BY id DESC LIMIT 3)'),
      prune: db.prepare<[number]>('DELETE FROM records WHERE seq <= ?'),
      ixByClientId: db.prepare<[string], { seq: number }>('SELECT seq FROM interactions WHERE client_id = ?'),
      ixInsert: db.prepare<[string | null, number, string | null, number, number, number | null, string, number, number | null]>(
        'INSERT INTO interactions (client_id, ts, segment, aht, transferred, csat, record, received_at, interval_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      ixRoll: db.prepare<[number, string | null, number, number]>(
        'UPDATE interactions SET interval_seq = ? WHERE interval_seq IS NULL AND segment IS ? AND ts >= ? AND ts < ?',
      ),
      ixOpen: db.prepare<[], { ts: number; segment: string | null; aht: number; transferred: number; csat: number | null }>(
        'SELECT ts, segment, aht, transferred, csat FROM interactions WHERE interval_seq IS NULL ORDER BY seq',
      ),
      ixWatermark: db.prepare<[], { ts: number; received_at: number }>('SELECT ts, received_at FROM interactions ORDER BY ts DESC, seq DESC LIMIT 1'),
      ixLastActive: db.prepare<[], { segment: string | null; ts: number }>('SELECT segment, max(ts) AS ts FROM interactions WHERE interval_seq > 0 GROUP BY segment'),
      ixCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM interactions'),
      ixPrune: db.prepare<[number]>(
        'DELETE FROM interactions WHERE interval_seq IS NOT NULL AND seq <= (SELECT seq FROM interactions WHERE interval_seq IS NOT NULL ORDER BY seq DESC LIMIT 1 OFFSET ?)',
      ),
      metaGet: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      metaSet: db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    };
    this.ingestTx = db.transaction((source: string, records: readonly NewRecord[], interactions?: readonly NewInteraction[], hooks?: RollupHooks) => {
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
        written.push({ index: i, row: { seq, receivedAt: now, source, record: r.json, result: null, segment: r.segment } });
      }
      let maxTs: number | null = null;
      for (const w of written) {
        const t = records[w.index]!.ts;
        if (t !== null && (maxTs === null || t > maxTs)) maxTs = t;
      }
      if (maxTs !== null) this.stmts.setLastTs.run(source, maxTs);
      const out: IngestOutcome = { seqs, duplicate, written };
      if (!interactions || interactions.length === 0 || !hooks) return out;
      return { ...out, interactions: this.writeInteractions(interactions, hooks, now) };
    });
    this.rollupTx = db.transaction((plan: RollupPlan): StoredRow[] => this.writeRollup(plan, Date.now()));
    this.groupTx = db.transaction(<T>(fn: () => T): T => fn());
    this.resultsTx = db.transaction((pairs: readonly { seq: number; result: string }[]) => {
      for (const p of pairs) this.stmts.setResult.run(p.result, p.seq);
    });
  }

  /**
   * Writes a batch in ONE transaction (all or nothing) and returns once it is committed,
   * i.e. durable (see above). Records whose client id is already stored are skipped.
   * Interactions (with `hooks`) are written in the same transaction, with the interval
   * records their arrival closes (the caller applies `hooks.plan`'s plan after the commit).
   */
  ingest(source: string, records: readonly NewRecord[], interactions?: readonly NewInteraction[], hooks?: RollupHooks): IngestOutcome {
    return this.ingestTx.immediate(source, records, interactions, hooks);
  }

  /**
   * Runs `fn` in ONE transaction (group commit): the ingest() calls it makes become
   * savepoints of it, and all of them are durable at once, with one fsync, when it returns.
   * If `fn` throws, none of them is written.
   */
  group<T>(fn: () => T): T {
    return this.groupTx.immediate(fn) as T;
  }

  private writeInteractions(items: readonly NewInteraction[], hooks: RollupHooks, now: number): InteractionOutcome {
    const n = items.length;
    const seqs = new Array<number>(n).fill(0);
    const duplicate = new Array<boolean>(n).fill(false);
    const added: number[] = [];
    const late: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = items[i]!;
      if (r.clientId !== null) {
        const before = this.stmts.ixByClientId.get(r.clientId);
        if (before !== undefined) {
          duplicate[i] = true;
          seqs[i] = before.seq;
          continue;
        }
      }
      const it = r.interaction;
      const isLate = hooks.isLate(it.ts);
      const info = this.stmts.ixInsert.run(r.clientId, it.ts, it.segment, it.aht, it.transferred ? 1 : 0, it.csat, r.json, now, isLate ? 0 : null);
      seqs[i] = Number(info.lastInsertRowid);
      (isLate ? late : added).push(i);
    }
    const plan = hooks.plan(added.map((i) => items[i]!.interaction));
    return { seqs, duplicate, added, late, rolled: this.writeRollup(plan, now), plan };
  }

  /** Stores the interval records of a roll-up plan and marks their interactions (inside a transaction). */
  private writeRollup(plan: RollupPlan, now: number): StoredRow[] {
    const rows: StoredRow[] = [];
    for (const iv of plan.intervals) {
      const json = JSON.stringify(iv.record);
      const info = this.stmts.insert.run(null, iv.start, iv.segment, 'rollup', json, null, now);
      const seq = Number(info.lastInsertRowid);
      this.stmts.ixRoll.run(seq, iv.segment, iv.start, iv.end);
      rows.push({ seq, receivedAt: now, source: 'rollup', record: json, result: null, segment: iv.segment });
    }
    if (plan.closedBefore !== null) this.stmts.metaSet.run('rollup_closed_before', String(plan.closedBefore));
    return rows;
  }

  /** Closes intervals without new interactions (the roll-up timer): one transaction. */
  commitRollup(plan: RollupPlan): StoredRow[] {
    return this.rollupTx.immediate(plan);
  }

  /** Where the roll-up resumes after a restart. */
  rollupState(slotOf: (ts: number) => number): RollupState {
    const closed = this.stmts.metaGet.get('rollup_closed_before');
    const wm = this.stmts.ixWatermark.get();
    const open = this.stmts.ixOpen.all().map((r) => ({ ts: r.ts, segment: r.segment, aht: r.aht, transferred: r.transferred === 1, csat: r.csat }));
    const lastActive = new Map<string | null, number>();
    for (const r of this.stmts.ixLastActive.all()) lastActive.set(r.segment, slotOf(r.ts));
    return { closedBefore: closed ? Number(closed.value) : null, watermark: wm ? wm.ts : null, watermarkAt: wm ? wm.received_at : 0, open, lastActive };
  }

  interactionCount(): number {
    return this.stmts.ixCount.get()!.n;
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

  /** Stored records not scored yet (a crash between acknowledging and scoring), oldest first: those after seq `after`, at most `limit`. */
  unscored(after: number, limit: number): StoredRow[] {
    return this.stmts.unscored.all(after, limit).map(toStored);
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
    const m = this.stmts.lastTsMeta.get(source);
    if (m) return Number(m.value);
    // A store written before the meta key existed: one scan, then kept.
    const t = this.stmts.lastTs.get(source)!.t;
    if (t !== null) this.stmts.setLastTs.run(source, t);
    return t;
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

  /** Deletes the oldest records beyond `keep` (and rolled-up interactions beyond `keep`); returns how many records went. */
  prune(keep: number): number {
    if (keep <= 0) return 0;
    // Rolled-up interactions beyond the same count go too (open and late ones are kept).
    this.stmts.ixPrune.run(keep);
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
