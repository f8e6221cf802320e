/**
 * Server configuration: defaults < JSON config file (`CX_CONFIG` / `--config`) < environment < command-line flags.
 * Every value is checked here, once; a bad value is a {@link ConfigError} naming the variable (or config key / flag)
 * and the value, so a typo stops start-up with a message instead of a server that half-works.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFieldSpec } from '@cx-anomaly/engine';

export class ConfigError extends Error {
  override name = 'ConfigError';
  /** The environment variable, config-file key or flag that was wrong. */
  readonly setting: string;
  constructor(setting: string, message: string) {
    super(`${setting}: ${message}`);
    this.setting = setting;
  }
}

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  /** SQLite file; `:memory:` for a throw-away store. */
  readonly store: string;
  /** `full`: fsync every commit (survives power loss); `normal`: survives a process crash only. */
  readonly durability: 'full' | 'normal';
  readonly replay: boolean;
  /** Simulated seconds per real second (900: one 15-minute interval a second). */
  readonly replaySpeed: number;
  /** Days of generated history: default-model training set and replay source. */
  readonly generateDays: number;
  readonly seed: number;
  /** Field spec of the metrics: `name[:direction[:transform]],...` (the engine's parseFieldSpec; e.g. `aht_max:high:log`). */
  readonly fields: string;
  readonly timeField: string;
  readonly segmentField: string;
  /**
   * The metric counting the contacts behind each interval's averages (the detector's
   * `supportField`): `auto` (default) = `volume` when it is a metric, `none`, or a metric name.
   * Where it is low the other metrics are treated as missing, and the baseline member takes it
   * as a count (Poisson noise) and the averages' noise as growing when it falls.
   */
  readonly supportField: string;
  /**
   * Per-metric counts (the detector's `supportFields`): `auto` (default) = `csat_avg:csat_responses`
   * when csat_avg is a metric, `none`, or `metric:countField` pairs, comma-separated. A CSAT
   * average of fewer than 3 answers is treated as missing; records without the count field keep it.
   */
  readonly supportFields: string;
  /** Field holding a client-supplied record id (idempotent retries). */
  readonly idField: string;
  readonly contamination: number;
  /** Trees per forest of the detector (fewer: faster training and scoring, coarser scores). */
  readonly numTrees: number;
  /** Points per tree. */
  readonly sampleSize: number;
  readonly ingestToken: string | undefined;
  /** Allowed CORS origins; empty = same-origin only (no CORS headers); `['*']` = any. */
  readonly corsOrigins: readonly string[];
  readonly bodyLimit: number;
  /** Requests per minute per client IP; 0 = no limit. */
  readonly rateLimit: number;
  readonly maxSseClients: number;
  readonly heartbeatMs: number;
  /** Records sent to a new SSE client that gives no Last-Event-ID (recent history for the page). */
  readonly sseBacklog: number;
  /** Most records per /score or /ingest request. */
  readonly maxBatch: number;
  /** Stored records kept; older ones are pruned (0 = keep all). */
  readonly maxStoredRecords: number;
  /** Most stored records a /train reads (the newest). */
  readonly trainMaxRecords: number;
  readonly logLevel: string;
  readonly widgetDir: string;
  /**
   * Nice value of the streaming scorer's thread (Linux; 0 = unchanged): scoring what was ingested
   * is background work, and at equal priority it takes the CPU that answering requests needs.
   */
  readonly scoringNice: number;
  /**
   * Batch-scoring worker threads (POST /score), each holding the model; a request goes to the
   * least busy. Default: the cores available (at most {@link MAX_DEFAULT_WORKERS}).
   */
  readonly scoreWorkers: number;
  /**
   * Streaming-scoring worker threads (ingested records): each segment is scored by one of them
   * (assigned at first sight), in seq order; results are written and broadcast in seq order.
   */
  readonly streamWorkers: number;
  /** Interval length (minutes) interaction records are rolled up into. */
  readonly intervalMinutes: number;
  /** An interval closes this many seconds after its end (by the event-time clock; see rollup.ts). */
  readonly intervalGraceSeconds: number;
}

/** packages/widget/dist, from src/config.ts and from the bundle dist/main.js alike (both one level below the package). */
const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_WIDGET_DIR = resolve(here, '../../widget/dist');

/** Cap of the worker-count defaults: each worker holds its own copy of the model (memory). */
export const MAX_DEFAULT_WORKERS = 16;
/** Upper bound of CX_SCORE_WORKERS / CX_STREAM_WORKERS. */
export const MAX_WORKERS = 64;
const CORES = Math.max(1, Math.min(MAX_DEFAULT_WORKERS, availableParallelism()));
const STREAM_WORKERS_DEFAULT = CORES;

export const DEFAULTS: ServerConfig = {
  port: 8000,
  host: '127.0.0.1',
  store: './data/cx.sqlite',
  durability: 'full',
  replay: true,
  replaySpeed: 900,
  generateDays: 14,
  seed: 7,
  // aht_max (the interval's longest contact) catches a single stuck call that barely moves aht_avg; on a log
  // scale because its spread grows with its level (docs/server.md, CX_FIELDS).
  fields: 'aht_avg:high,csat_avg:low,transfer_rate:high,volume,aht_max:high:log',
  timeField: 'timestamp',
  segmentField: 'queue',
  supportField: 'auto',
  supportFields: 'auto',
  idField: 'id',
  contamination: 0.01,
  // 30, not the engine's 100: on the labelled CX protocol (docs/results/cx-incidents.md, "Forest size")
  // 30 trees flag 53 of 66 incidents vs 54 at 0.27 false alarms per queue-day, and score ~3-5x faster.
  numTrees: 30,
  sampleSize: 256,
  ingestToken: undefined,
  corsOrigins: [],
  bodyLimit: 1024 * 1024,
  rateLimit: 1200,
  maxSseClients: 100,
  heartbeatMs: 15000,
  sseBacklog: 500,
  maxBatch: 10000,
  maxStoredRecords: 1_000_000,
  trainMaxRecords: 50_000,
  logLevel: 'info',
  widgetDir: DEFAULT_WIDGET_DIR,
  scoringNice: 10,
  scoreWorkers: CORES,
  streamWorkers: STREAM_WORKERS_DEFAULT,
  intervalMinutes: 15,
  intervalGraceSeconds: 60,
};

type Key = keyof ServerConfig;
type Parser = (raw: unknown, setting: string) => unknown;

function intIn(min: number, max: number): Parser {
  return (raw, setting) => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(setting, `must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
    }
    return n;
  };
}

function numIn(min: number, max: number, openMin = false): Parser {
  return (raw, setting) => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isFinite(n) || n > max || (openMin ? n <= min : n < min)) {
      throw new ConfigError(setting, `must be a number in ${openMin ? '(' : '['}${min}, ${max}], got ${JSON.stringify(raw)}`);
    }
    return n;
  };
}

function oneOf(...values: string[]): Parser {
  return (raw, setting) => {
    const s = String(raw).trim().toLowerCase();
    if (!values.includes(s)) throw new ConfigError(setting, `must be one of ${values.join(', ')}; got ${JSON.stringify(raw)}`);
    return s;
  };
}

const bool: Parser = (raw, setting) => {
  if (typeof raw === 'boolean') return raw;
  const s = String(raw).trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(s)) return true;
  if (['off', 'false', '0', 'no'].includes(s)) return false;
  throw new ConfigError(setting, `must be on or off, got ${JSON.stringify(raw)}`);
};

function text(allowEmpty = false): Parser {
  return (raw, setting) => {
    if (typeof raw !== 'string' || (!allowEmpty && raw.trim() === '')) {
      throw new ConfigError(setting, `must be a non-empty string, got ${JSON.stringify(raw)}`);
    }
    return raw.trim();
  };
}

const fieldName: Parser = (raw, setting) => {
  const s = text()(raw, setting) as string;
  if (!/^[A-Za-z_][\w.-]{0,127}$/.test(s)) throw new ConfigError(setting, `must be a field name (letters, digits, _ . -), got ${JSON.stringify(raw)}`);
  return s;
};

const fields: Parser = (raw, setting) => {
  const s = text()(raw, setting) as string;
  try {
    parseFieldSpec(s);
  } catch (e) {
    throw new ConfigError(setting, (e as Error).message);
  }
  return s;
};

const origins: Parser = (raw, setting) => {
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : null;
  if (!list) throw new ConfigError(setting, `must be a comma-separated list of origins, got ${JSON.stringify(raw)}`);
  const out: string[] = [];
  for (const item of list) {
    const o = String(item).trim();
    if (o === '') continue;
    if (o !== '*') {
      let u: URL;
      try {
        u = new URL(o);
      } catch {
        throw new ConfigError(setting, `${JSON.stringify(o)} is not an origin such as https://example.com`);
      }
      if (u.origin !== o.replace(/\/$/, '')) throw new ConfigError(setting, `${JSON.stringify(o)} is not an origin (scheme://host[:port], no path)`);
    }
    out.push(o.replace(/\/$/, ''));
  }
  return out;
};

const token: Parser = (raw, setting) => {
  if (raw === undefined || raw === '') return undefined;
  const s = text()(raw, setting) as string;
  if (s.length < 16) throw new ConfigError(setting, `must be at least 16 characters (got ${s.length})`);
  return s;
};

const logLevel: Parser = (raw, setting) => {
  const s = String(raw).trim().toLowerCase();
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(s)) {
    throw new ConfigError(setting, `must be one of fatal, error, warn, info, debug, trace, silent; got ${JSON.stringify(raw)}`);
  }
  return s;
};

/** One row per setting: config-file key, environment variable, command-line flag, parser. */
const SETTINGS: readonly { key: Key; env: string; flag?: string; parse: Parser }[] = [
  { key: 'port', env: 'PORT', flag: '--port', parse: intIn(0, 65535) },
  { key: 'host', env: 'HOST', flag: '--host', parse: text() },
  { key: 'store', env: 'CX_STORE', flag: '--store', parse: text() },
  { key: 'durability', env: 'CX_DURABILITY', parse: oneOf('full', 'normal') },
  { key: 'replay', env: 'CX_REPLAY', flag: '--replay', parse: bool },
  { key: 'replaySpeed', env: 'CX_REPLAY_SPEED', flag: '--replay-speed', parse: numIn(0, 1e7, true) },
  { key: 'generateDays', env: 'CX_GENERATE_DAYS', parse: intIn(3, 365) },
  { key: 'seed', env: 'CX_SEED', parse: intIn(0, 2 ** 31 - 1) },
  { key: 'fields', env: 'CX_FIELDS', flag: '--fields', parse: fields },
  { key: 'timeField', env: 'CX_TIME_FIELD', parse: fieldName },
  { key: 'segmentField', env: 'CX_SEGMENT_FIELD', parse: fieldName },
  { key: 'supportField', env: 'CX_SUPPORT_FIELD', parse: text() },
  { key: 'supportFields', env: 'CX_SUPPORT_FIELDS', parse: text() },
  { key: 'idField', env: 'CX_ID_FIELD', parse: fieldName },
  { key: 'contamination', env: 'CX_CONTAMINATION', parse: numIn(0, 0.5, true) },
  { key: 'numTrees', env: 'CX_NUM_TREES', parse: intIn(1, 1000) },
  { key: 'sampleSize', env: 'CX_SAMPLE_SIZE', parse: intIn(8, 4096) },
  { key: 'ingestToken', env: 'CX_INGEST_TOKEN', parse: token },
  { key: 'corsOrigins', env: 'CX_CORS_ORIGINS', parse: origins },
  { key: 'bodyLimit', env: 'CX_BODY_LIMIT', parse: intIn(1024, 1024 * 1024 * 1024) },
  { key: 'rateLimit', env: 'CX_RATE_LIMIT', parse: intIn(0, 10_000_000) },
  { key: 'maxSseClients', env: 'CX_MAX_SSE_CLIENTS', parse: intIn(0, 100_000) },
  { key: 'heartbeatMs', env: 'CX_HEARTBEAT_MS', parse: intIn(50, 3_600_000) },
  { key: 'sseBacklog', env: 'CX_SSE_BACKLOG', parse: intIn(0, 100_000) },
  { key: 'maxBatch', env: 'CX_MAX_BATCH', parse: intIn(1, 100_000) },
  { key: 'maxStoredRecords', env: 'CX_MAX_STORED_RECORDS', parse: intIn(0, 1e9) },
  { key: 'trainMaxRecords', env: 'CX_TRAIN_MAX_RECORDS', parse: intIn(16, 10_000_000) },
  { key: 'logLevel', env: 'CX_LOG_LEVEL', flag: '--log-level', parse: logLevel },
  { key: 'widgetDir', env: 'CX_WIDGET_DIR', parse: text() },
  { key: 'scoringNice', env: 'CX_SCORING_NICE', parse: intIn(0, 19) },
  { key: 'scoreWorkers', env: 'CX_SCORE_WORKERS', parse: intIn(1, MAX_WORKERS) },
  { key: 'streamWorkers', env: 'CX_STREAM_WORKERS', parse: intIn(1, MAX_WORKERS) },
  { key: 'intervalMinutes', env: 'CX_INTERVAL', parse: intIn(1, 1440) },
  { key: 'intervalGraceSeconds', env: 'CX_INTERVAL_GRACE', parse: intIn(0, 86_400) },
];

export interface ConfigSources {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly argv?: readonly string[];
  /** Values set by code (tests, embedding): highest precedence. */
  readonly overrides?: Partial<ServerConfig>;
}

/** Reads `--name value`, `--name=value`, `--no-replay`; unknown flags are errors. */
function parseArgv(argv: readonly string[]): { values: Map<string, string>; config?: string } {
  const values = new Map<string, string>();
  let config: string | undefined;
  const flags = new Set(SETTINGS.filter((s) => s.flag).map((s) => s.flag!));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--no-replay') {
      values.set('--replay', 'off');
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (name !== '--config' && !flags.has(name)) {
      throw new ConfigError(arg, `unknown option; known: --config, --no-replay, ${[...flags].join(', ')}`);
    }
    let value: string | undefined = eq === -1 ? argv[i + 1] : arg.slice(eq + 1);
    if (eq === -1) i++;
    if (value === undefined) throw new ConfigError(name, 'needs a value');
    if (name === '--config') config = value;
    else values.set(name, value);
  }
  return { values, config };
}

function readConfigFile(path: string, setting: string): Record<string, unknown> {
  let textContent: string;
  try {
    textContent = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(setting, `cannot read config file ${JSON.stringify(path)}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(textContent);
  } catch (e) {
    throw new ConfigError(setting, `config file ${JSON.stringify(path)} is not valid JSON: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(setting, `config file ${JSON.stringify(path)} must hold a JSON object`);
  }
  const known = new Set<string>(SETTINGS.map((s) => s.key));
  for (const k of Object.keys(parsed)) {
    if (!known.has(k)) throw new ConfigError(`${path}: "${k}"`, `unknown key; known keys: ${[...known].join(', ')}`);
  }
  return parsed as Record<string, unknown>;
}

export function loadConfig(sources: ConfigSources = {}): ServerConfig {
  const env = sources.env ?? process.env;
  const { values: flagValues, config: configFlag } = parseArgv(sources.argv ?? []);
  const out: Record<string, unknown> = { ...DEFAULTS };

  const configPath = configFlag ?? (env.CX_CONFIG?.trim() || undefined);
  if (configPath !== undefined) {
    const file = readConfigFile(configPath, configFlag !== undefined ? '--config' : 'CX_CONFIG');
    for (const s of SETTINGS) {
      if (file[s.key] !== undefined) out[s.key] = s.parse(file[s.key], `${configPath}: "${s.key}"`);
    }
  }
  for (const s of SETTINGS) {
    const v = env[s.env];
    if (v !== undefined && (v !== '' || s.key === 'ingestToken' || s.key === 'corsOrigins')) out[s.key] = s.parse(v, s.env);
  }
  for (const s of SETTINGS) {
    if (s.flag && flagValues.has(s.flag)) out[s.key] = s.parse(flagValues.get(s.flag), s.flag);
  }
  if (sources.overrides) Object.assign(out, sources.overrides);

  const cfg = out as unknown as ServerConfig;
  // Cross-checks: the time / segment fields cannot also be metrics.
  const metricNames = parseFieldSpec(cfg.fields).fields.map((f) => f.name);
  for (const [name, value] of [['CX_TIME_FIELD', cfg.timeField], ['CX_SEGMENT_FIELD', cfg.segmentField], ['CX_ID_FIELD', cfg.idField]] as const) {
    if (metricNames.includes(value)) throw new ConfigError(name, `"${value}" is also a metric in CX_FIELDS`);
  }
  supportOf(cfg); // throws a ConfigError naming the setting when a support field does not fit CX_FIELDS
  return cfg;
}

/** One text for a detector's support settings (compared between a stored model and the configuration). */
export function supportText(supportField: string | undefined, supportFields: Readonly<Record<string, string>> | undefined): string {
  const pairs = Object.entries(supportFields ?? {}).map(([m, f]) => `${m}:${f}`).sort();
  return `${supportField ?? ''};${pairs.join(',')}`;
}

/** The detector's support settings resolved from CX_SUPPORT_FIELD / CX_SUPPORT_FIELDS (`auto` per CX_FIELDS). */
export function supportOf(cfg: ServerConfig): { supportField?: string; supportFields?: Readonly<Record<string, string>> } {
  const spec = parseFieldSpec(cfg.fields).fields;
  const metrics = spec.map((f) => f.name);
  const out: { supportField?: string; supportFields?: Record<string, string> } = {};
  // The support field is read as a count of contacts: the detector refuses one modelled on another scale
  // (`volume:both:log`), so say so here, naming the setting, rather than when the model is trained.
  const asCount = (name: string, how: string): string => {
    const t = spec.find((f) => f.name === name)?.transform;
    if (t) throw new ConfigError('CX_SUPPORT_FIELD', `${how}"${name}" is read as the count of contacts, but CX_FIELDS models it on a ${t} scale ("${name}:...:${t}"): drop the ":${t}", or set CX_SUPPORT_FIELD to none`);
    return name;
  };
  const one = cfg.supportField.trim();
  if (one === 'auto') {
    if (metrics.includes('volume')) out.supportField = asCount('volume', 'auto: ');
  } else if (one !== 'none') {
    if (!metrics.includes(one)) throw new ConfigError('CX_SUPPORT_FIELD', `"${one}" is not a metric of CX_FIELDS (${metrics.join(', ')}); or auto, none`);
    out.supportField = asCount(one, '');
  }
  const many = cfg.supportFields.trim();
  if (many === 'auto') {
    if (metrics.includes('csat_avg')) out.supportFields = { csat_avg: 'csat_responses' };
  } else if (many !== 'none') {
    const pairs: Record<string, string> = {};
    for (const item of many.split(',')) {
      const m = /^\s*([A-Za-z_][\w.-]*)\s*:\s*([A-Za-z_][\w.-]*)\s*$/.exec(item);
      if (!m) throw new ConfigError('CX_SUPPORT_FIELDS', `${JSON.stringify(item.trim())} is not metric:countField (e.g. csat_avg:csat_responses); or auto, none`);
      if (!metrics.includes(m[1]!)) throw new ConfigError('CX_SUPPORT_FIELDS', `"${m[1]}" is not a metric of CX_FIELDS (${metrics.join(', ')})`);
      if (m[2] === cfg.timeField || m[2] === cfg.segmentField) throw new ConfigError('CX_SUPPORT_FIELDS', `count field "${m[2]}" is the time or segment field`);
      pairs[m[1]!] = m[2]!;
    }
    out.supportFields = pairs;
  }
  return out;
}
