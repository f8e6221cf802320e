/**
 * Loading of the `src` attribute: a CSV or JSON URL. The text of the last good response is
 * kept in IndexedDB so that the widget still opens with data when the network is gone
 * (offline fallback); the caller is told when the copy was used.
 */
import { get, set } from 'idb-keyval';
import type { CxRecord } from '@cx-anomaly/engine';
import { parseCsv } from '@cx-anomaly/engine';

export interface LoadedData {
  readonly records: CxRecord[];
  /** Epoch ms of the saved copy when the network failed and it was used, else undefined. */
  readonly offlineCopyFrom?: number;
}

/** Texts above this are not cached (IndexedDB quota and write time). */
const MAX_CACHED_CHARS = 8_000_000;

interface CachedText {
  readonly text: string;
  readonly type: string;
  readonly savedAt: number;
}

export class LoadError extends Error {
  override name = 'LoadError';
  constructor(message: string, readonly code: 'network' | 'http' | 'parse') {
    super(message);
  }
}

export function parseRecords(text: string, contentType: string, url: string): CxRecord[] {
  const looksJson = /json/i.test(contentType) || /\.json(\?|#|$)/i.test(url) || /^\s*[[{]/.test(text.slice(0, 64));
  if (looksJson) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new LoadError(`${url}: not valid JSON (${(e as Error).message})`, 'parse');
    }
    const list = Array.isArray(value) ? value : (value as { records?: unknown })?.records;
    if (!Array.isArray(list)) throw new LoadError(`${url}: expected a JSON array of records or { "records": [...] }`, 'parse');
    for (let i = 0; i < list.length; i++) {
      if (list[i] === null || typeof list[i] !== 'object' || Array.isArray(list[i])) {
        throw new LoadError(`${url}: record ${i} is not an object`, 'parse');
      }
    }
    return list as CxRecord[];
  }
  // The engine's CSV parser: a character loop, no `new Function` (d3-dsv's csvParse needs one,
  // which a strict CSP forbids). Values stay text; the engine reads numbers and times from text.
  let table: { header: string[]; rows: string[][] };
  try {
    table = parseCsv(text, { source: url });
  } catch (e) {
    throw new LoadError((e as Error).message, 'parse');
  }
  const header = table.header.map((h) => h.trim());
  return table.rows.map((row) => {
    const rec: Record<string, string> = {};
    for (let k = 0; k < header.length; k++) rec[header[k]!] = row[k]!;
    return rec;
  });
}

export async function loadRecords(url: string, signal?: AbortSignal): Promise<LoadedData> {
  const key = `cx-anomaly-widget:src:${new URL(url, document.baseURI).href}`;
  let response: Response;
  try {
    response = await fetch(url, { signal, headers: { accept: 'text/csv, application/json;q=0.9, */*;q=0.5' } });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    const cached = await get<CachedText>(key).catch(() => undefined);
    if (cached) return { records: parseRecords(cached.text, cached.type, url), offlineCopyFrom: cached.savedAt };
    throw new LoadError(`could not fetch ${url}: ${(e as Error).message}`, 'network');
  }
  if (!response.ok) throw new LoadError(`could not fetch ${url}: HTTP ${response.status} ${response.statusText}`, 'http');
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  const records = parseRecords(text, type, url);
  if (text.length <= MAX_CACHED_CHARS) {
    // Best effort: private windows and opaque origins have no IndexedDB.
    set(key, { text, type, savedAt: Date.now() } satisfies CachedText).catch(() => undefined);
  }
  return { records };
}
