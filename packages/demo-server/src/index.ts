// Public API of @cx-anomaly/demo-server (Node only).
export { createServer, type CxServer, type CreateOptions, MAX_SCORING_BACKLOG } from './app.ts';
export { loadConfig, ConfigError, DEFAULTS, type ServerConfig, type ConfigSources } from './config.ts';
export { Store, type StoredRow, type IngestOutcome } from './store.ts';
export { SseHub, recordEvents } from './hub.ts';
export { Replay, applyIncident, INJECT_KINDS, type InjectKind } from './replay.ts';
