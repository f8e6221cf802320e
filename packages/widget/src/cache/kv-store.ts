/**
 * A small key-value store on IndexedDB (idb-keyval) that degrades to memory.
 *
 * When IndexedDB is missing (some private modes, sandboxed iframes), blocked (an
 * open that never completes), or refuses a write (QuotaExceededError), the store
 * keeps working from an in-memory Map for the rest of the session and reports one
 * warning (code 'cache-unavailable'), not one per call.
 */
import { del, get, keys, set, type UseStore } from 'idb-keyval';

export type WarningSink = (message: string, code: string) => void;

export interface KvStoreOptions {
  /**
   * IndexedDB database. Several stores may share one database (see {@link openIdbStore}),
   * though each of ours has its own. Default 'cx-anomaly-kv'.
   */
  readonly dbName?: string;
  /** Default 'kv'. */
  readonly storeName?: string;
  readonly onWarning?: WarningSink | null;
  /** An idb-keyval store to use instead of opening one (tests wrap the real one). */
  readonly useStore?: UseStore;
  /** Milliseconds an IndexedDB operation may take before the store gives up on it. Default 5000. */
  readonly timeoutMs?: number;
  /** Start in memory (e.g. the host disabled persistence). */
  readonly memoryOnly?: boolean;
}

/**
 * idb-keyval's `createStore`, except that the object store is created when the database
 * already exists without it. idb-keyval creates its store only when it creates the
 * database (version 1), so a second store in the same database failed every call with
 * NotFoundError (and the KvStore fell back to memory with a 'cache-unavailable' warning).
 * Here a missing store is added by reopening at the next version; our connections close
 * on `versionchange` (and reconnect on the next call) so that such an upgrade is not blocked.
 */
export function openIdbStore(dbName: string, storeName: string): UseStore {
  const open = (version?: number): Promise<IDBDatabase> =>
    new Promise((resolve, reject) => {
      const req = version === undefined ? indexedDB.open(dbName) : indexedDB.open(dbName, version);
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(storeName)) req.result.createObjectStore(storeName);
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  const connect = async (): Promise<IDBDatabase> => {
    for (let attempt = 0; ; attempt++) {
      const db = await open();
      if (db.objectStoreNames.contains(storeName)) return db;
      const next = db.version + 1;
      db.close();
      try {
        return await open(next);
      } catch (e) {
        // Another connection upgraded first (VersionError): look again.
        if ((e as DOMException)?.name !== 'VersionError' || attempt >= 3) throw e;
      }
    }
  };
  let conn: Promise<IDBDatabase> | null = null;
  const connection = (): Promise<IDBDatabase> => {
    if (conn) return conn;
    const mine: Promise<IDBDatabase> = connect().then((db) => {
      const forget = (): void => {
        db.close();
        if (conn === mine) conn = null;
      };
      db.onversionchange = forget;
      db.onclose = forget;
      return db;
    });
    conn = mine;
    mine.catch(() => {
      if (conn === mine) conn = null;
    });
    return mine;
  };
  return async (txMode, callback) => {
    let db = await connection();
    let tx: IDBTransaction;
    try {
      tx = db.transaction(storeName, txMode);
    } catch (e) {
      // The connection was closed for another context's upgrade: reconnect once.
      if ((e as DOMException)?.name !== 'InvalidStateError') throw e;
      if (conn) conn = null;
      db = await connection();
      tx = db.transaction(storeName, txMode);
    }
    return callback(tx.objectStore(storeName));
  };
}

export class KvStore {
  private idb: UseStore | null = null;
  private readonly memory = new Map<string, unknown>();
  private warned = false;
  private readonly timeoutMs: number;
  private readonly onWarning: WarningSink | null;

  constructor(options: KvStoreOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.onWarning = options.onWarning ?? null;
    if (options.memoryOnly) return;
    if (options.useStore) {
      this.idb = options.useStore;
      return;
    }
    try {
      if (typeof indexedDB === 'undefined') throw new Error('indexedDB is not defined in this context');
      this.idb = openIdbStore(options.dbName ?? 'cx-anomaly-kv', options.storeName ?? 'kv');
    } catch (e) {
      this.degrade(e);
    }
  }

  /** True while IndexedDB is in use (false after a degrade to memory). */
  get persistent(): boolean {
    return this.idb !== null;
  }

  async get<T>(key: string): Promise<T | undefined> {
    if (this.idb) {
      try {
        return await this.withTimeout(get<T>(key, this.idb), `reading "${key}"`);
      } catch (e) {
        this.degrade(e);
      }
    }
    return this.memory.get(key) as T | undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    if (this.idb) {
      try {
        await this.withTimeout(set(key, value, this.idb), `writing "${key}"`);
        return;
      } catch (e) {
        this.degrade(e);
      }
    }
    this.memory.set(key, value);
  }

  async delete(key: string): Promise<void> {
    this.memory.delete(key);
    if (this.idb) {
      try {
        await this.withTimeout(del(key, this.idb), `deleting "${key}"`);
      } catch (e) {
        this.degrade(e);
      }
    }
  }

  async keys(): Promise<string[]> {
    if (this.idb) {
      try {
        return (await this.withTimeout(keys<IDBValidKey>(this.idb), 'listing keys')).map(String);
      } catch (e) {
        this.degrade(e);
      }
    }
    return [...this.memory.keys()];
  }

  private withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`IndexedDB did not answer within ${this.timeoutMs} ms ${what} (blocked?)`)), this.timeoutMs);
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }

  private degrade(e: unknown): void {
    this.idb = null;
    if (this.warned) return;
    this.warned = true;
    const err = e as { name?: string; message?: string };
    const why = err?.name === 'QuotaExceededError' ? 'the storage quota is exceeded' : `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
    this.onWarning?.(`IndexedDB is unavailable (${why}); models and feedback are kept in memory for this session only`, 'cache-unavailable');
  }
}
