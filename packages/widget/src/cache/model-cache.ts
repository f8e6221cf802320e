/**
 * Trained models and streaming (RRCF) state in IndexedDB, keyed by
 * {@link modelCacheKey}. Every entry carries its own checksum of the model bytes,
 * verified before the bytes reach the engine (which checks the model file's CRC
 * again when it loads them). An entry that is damaged, truncated, of an older
 * entry format or engine version is deleted and reported as a miss with a reason,
 * so the caller retrains and warns.
 */
import { ENGINE_VERSION, formatFieldSpec, parseFieldSpec, type DetectorConfig } from '@cx-anomaly/engine';
import type { RecordBatch } from '../worker/protocol.ts';
import { Hasher, hashBytes } from './hash.ts';
import { KvStore } from './kv-store.ts';

/** Layout version of a cache entry (not of the model file). Bump when CacheEntry changes. */
export const CACHE_ENTRY_FORMAT = 1;
/** IndexedDB database and store of models and streaming state. */
export const MODEL_DB = 'cx-anomaly-models';
export const MODEL_STORE = 'models';

export interface CacheEntry {
  readonly format: number;
  readonly engineVersion: string;
  readonly key: string;
  /** hashBytes(bytes) when written. */
  readonly checksum: string;
  readonly byteLength: number;
  readonly savedAt: number;
  readonly bytes: Uint8Array;
}

export type CacheLookup =
  | { readonly hit: true; readonly bytes: Uint8Array }
  | { readonly hit: false; readonly reason: 'absent' | 'corrupt' | 'stale' };

/** Canonical JSON (sorted keys) so that option order does not change the key. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'undefined';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

/** Fingerprint of a packed record batch: every value of every column, in order. */
export function batchFingerprint(batch: RecordBatch): string {
  const h = new Hasher().number(batch.length);
  for (const name of Object.keys(batch.columns).sort()) {
    const c = batch.columns[name]!;
    h.string(name).string(c.kind);
    if (c.kind === 'f64') h.bytes(c.values);
    else if (c.kind === 'dict') {
      h.bytes(c.codes);
      for (const s of c.dict) h.string(s);
    } else for (const v of c.values) h.string(typeof v === 'string' ? `s${v}` : `j${canonical(v)}`);
  }
  return h.digest();
}

/** Hash of (engine version, detector config, field spec, training-data fingerprint). */
export function modelCacheKey(config: DetectorConfig, batch: RecordBatch): string {
  const { fields, ...rest } = config;
  const spec = typeof fields === 'string' ? formatFieldSpec(parseFieldSpec(fields)) : formatFieldSpec(fields);
  const h = new Hasher().string(ENGINE_VERSION).string(canonical(rest)).string(spec).string(batchFingerprint(batch));
  return `m-${h.digest()}`;
}

export class ModelCache {
  constructor(readonly store: KvStore) {}

  async get(key: string): Promise<CacheLookup> {
    const e = await this.store.get<CacheEntry>(key);
    if (e === undefined) return { hit: false, reason: 'absent' };
    if (!e || typeof e !== 'object' || e.format !== CACHE_ENTRY_FORMAT || e.engineVersion !== ENGINE_VERSION || e.key !== key) {
      await this.store.delete(key);
      return { hit: false, reason: 'stale' };
    }
    const bytes = e.bytes;
    if (!(bytes instanceof Uint8Array) || bytes.byteLength !== e.byteLength || hashBytes(bytes) !== e.checksum) {
      await this.store.delete(key);
      return { hit: false, reason: 'corrupt' };
    }
    return { hit: true, bytes };
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const entry: CacheEntry = {
      format: CACHE_ENTRY_FORMAT,
      engineVersion: ENGINE_VERSION,
      key,
      checksum: hashBytes(bytes),
      byteLength: bytes.byteLength,
      savedAt: Date.now(),
      bytes,
    };
    await this.store.set(key, entry);
  }

  delete(key: string): Promise<void> {
    return this.store.delete(key);
  }

  /** Key of the streaming-state snapshot that belongs to a model key. */
  static streamKey(modelKey: string): string {
    return `s-${modelKey}`;
  }
}
