export { KvStore, type KvStoreOptions } from './kv-store.ts';
export { ModelCache, modelCacheKey, batchFingerprint, CACHE_ENTRY_FORMAT, MODEL_DB, MODEL_STORE, type CacheEntry, type CacheLookup } from './model-cache.ts';
export { FeedbackStore, FEEDBACK_DB, type Feedback, type FeedbackVerdict } from './feedback-store.ts';
export { Hasher, hashBytes } from './hash.ts';
