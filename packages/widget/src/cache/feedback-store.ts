/**
 * User feedback on alerts (confirm / dismiss), persisted in IndexedDB per scope
 * (e.g. the model key or the data source), falling back to memory like every
 * cache store. Usable on the main thread (the widget) and in the worker.
 */
import { KvStore, type KvStoreOptions } from './kv-store.ts';

/** IndexedDB database of the feedback store. */
export const FEEDBACK_DB = 'cx-anomaly-feedback';

export type FeedbackVerdict = 'confirm' | 'dismiss';

export interface Feedback {
  /** Result.index of the point, or a stable id of it. */
  readonly index: number;
  readonly verdict: FeedbackVerdict;
  readonly timestamp?: number;
  readonly segment?: string;
  readonly note?: string;
  /** Epoch ms when the user gave it (set by `add` when absent). */
  readonly at?: number;
}

export class FeedbackStore {
  private readonly store: KvStore;
  /** Serialises read-modify-write so concurrent adds do not lose entries. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly scope: string, options: KvStoreOptions & { store?: KvStore } = {}) {
    if (typeof scope !== 'string' || scope === '') throw new TypeError(`FeedbackStore: scope must be a non-empty string, got ${JSON.stringify(scope)}`);
    this.store = options.store ?? new KvStore({ dbName: FEEDBACK_DB, storeName: 'feedback', ...options });
  }

  private get key(): string {
    return `f-${this.scope}`;
  }

  /** Adds (or replaces: one verdict per index and segment) a piece of feedback. */
  add(feedback: Feedback): Promise<void> {
    if (!Number.isFinite(feedback?.index)) throw new TypeError(`FeedbackStore.add: index must be a finite number, got ${JSON.stringify(feedback?.index)}`);
    if (feedback.verdict !== 'confirm' && feedback.verdict !== 'dismiss') {
      throw new TypeError(`FeedbackStore.add: verdict must be 'confirm' or 'dismiss', got ${JSON.stringify(feedback.verdict)}`);
    }
    return this.serial(async () => {
      const list = (await this.store.get<Feedback[]>(this.key)) ?? [];
      const next = list.filter((f) => !(f.index === feedback.index && f.segment === feedback.segment));
      next.push({ ...feedback, at: feedback.at ?? Date.now() });
      await this.store.set(this.key, next);
    });
  }

  list(): Promise<Feedback[]> {
    return this.serial(async () => [...((await this.store.get<Feedback[]>(this.key)) ?? [])]);
  }

  clear(): Promise<void> {
    return this.serial(() => this.store.delete(this.key));
  }

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const p = this.queue.then(job, job);
    this.queue = p.catch(() => undefined);
    return p;
  }
}
