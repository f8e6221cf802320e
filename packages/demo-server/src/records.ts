/**
 * Request bodies -> records: the content-type parsers (JSON array, NDJSON, CSV), the JSON
 * schema every record must pass (fastify/ajv, no type coercion), and the checks a schema
 * cannot express (time field readable as a time, finite numbers). Every rejection is a 400
 * whose message says what was wrong and where (record index, NDJSON/CSV line, field), and
 * nothing is written: validation is complete before the store is touched.
 */
import type { FastifyInstance } from 'fastify';
import { CsvError, parseCsv, parseFieldSpec, parseTime } from './engine.ts';
import type { ServerConfig } from './config.ts';
import { INTERACTION_FIELDS, INTERACTION_NUMERIC, type Interaction } from './rollup.ts';

/** Most fields a record may carry (the configured metrics, time, segment, id and a few extra columns). */
export const MAX_FIELDS = 64;
/** Longest text value, and longest field name. */
export const MAX_TEXT = 1024;
export const MAX_NAME = 128;

export class BadRequest extends Error {
  readonly statusCode: number;
  constructor(message: string, statusCode = 400) {
    super(message);
    this.statusCode = statusCode;
  }
}

/** Line and column (1-based) of a character offset, for JSON error messages. */
function lineCol(text: string, pos: number): string {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return `line ${line}, column ${pos - last}`;
}

export function parseJsonText(text: string, what = 'JSON body'): unknown {
  // An empty body is no body (POST /train); where records are required the schema says so.
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    const where = m ? ` (${lineCol(text, Number(m[1]))})` : '';
    throw new BadRequest(`invalid ${what}: ${msg}${where}`);
  }
}

export function parseNdjson(text: string): unknown[] {
  const out: unknown[] = [];
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      throw new BadRequest(`invalid NDJSON at line ${line}: ${(e as Error).message}`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new BadRequest(`invalid NDJSON at line ${line}: expected one JSON object per line, got ${Array.isArray(v) ? 'an array' : JSON.stringify(v)}`);
    }
    out.push(v);
  }
  return out;
}

/**
 * CSV with a header row. Metric columns become numbers (an empty cell is a missing value,
 * null); text that is not a number is an error naming the line and column. Other columns
 * stay text. A ragged row is an error naming its line (the engine's RFC 4180 parser).
 */
export function csvToRecords(text: string, metrics: ReadonlySet<string>): Record<string, unknown>[] {
  let table: { header: string[]; rows: string[][]; lines: number[] };
  try {
    table = parseCsv(text, { source: 'CSV body' });
  } catch (e) {
    if (e instanceof CsvError) throw new BadRequest(e.message);
    throw e;
  }
  const { header, rows, lines } = table;
  if (header.length === 0) throw new BadRequest('CSV body: no header row');
  if (header.length > MAX_FIELDS) throw new BadRequest(`CSV body: header has ${header.length} columns, at most ${MAX_FIELDS} are accepted`);
  const seen = new Set<string>();
  for (const h of header) {
    if (h === '' || h.length > MAX_NAME) throw new BadRequest(`CSV body: header column ${JSON.stringify(h.slice(0, 40))} must be 1-${MAX_NAME} characters`);
    if (seen.has(h)) throw new BadRequest(`CSV body: header column "${h}" appears twice`);
    seen.add(h);
  }
  const isMetric = header.map((h) => metrics.has(h) || (INTERACTION_NUMERIC as readonly string[]).includes(h));
  const out: Record<string, unknown>[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const rec: Record<string, unknown> = {};
    for (let c = 0; c < header.length; c++) {
      const cell = row[c]!;
      if (isMetric[c]) {
        const t = cell.trim();
        if (t === '') rec[header[c]!] = null;
        else {
          const n = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : NaN;
          if (!Number.isFinite(n)) {
            throw new BadRequest(`CSV body: line ${lines[r]}, column "${header[c]}": ${JSON.stringify(cell.slice(0, 40))} is not a number`);
          }
          rec[header[c]!] = n;
        }
      } else if (cell !== '') rec[header[c]!] = cell;
    }
    out[r] = rec;
  }
  return out;
}

/** Registers the body parsers on an instance: JSON (array, or `{records}` for /score), NDJSON, CSV. */
export function registerBodyParsers(app: FastifyInstance, config: ServerConfig): void {
  // Metric columns, and the numeric columns of interaction records, become numbers.
  const metrics = new Set(parseFieldSpec(config.fields).fields.map((f) => f.name));
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    try {
      const parsed = parseJsonText(body as string);
      // Kept for POST /score only (its worker parses the text); other routes let it go.
      if (req.routeOptions.url === '/score') (req as { jsonText?: string }).jsonText = body as string;
      done(null, parsed);
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  app.addContentTypeParser(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/jsonlines'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseNdjson(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, csvToRecords(body as string, metrics));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}

/**
 * The JSON schema of a batch of records for the configured fields. ajv runs with
 * coerceTypes off (see app.ts), so "12" in a metric is rejected, not silently converted.
 * Interaction records (one contact: `aht_seconds`, `transfers`, `csat`) pass it too (their
 * columns are extra columns here); checkRecords tells them apart, and /ingest rolls them up
 * into interval records per segment (rollup.ts).
 */
export function batchSchema(config: ServerConfig): Record<string, unknown> {
  const metricNames = parseFieldSpec(config.fields).fields.map((f) => f.name);
  const properties: Record<string, unknown> = {
    [config.timeField]: { anyOf: [{ type: 'string', minLength: 1, maxLength: 64 }, { type: 'number' }] },
    [config.segmentField]: { type: 'string', minLength: 1, maxLength: 200 },
    [config.idField]: { anyOf: [{ type: 'string', minLength: 1, maxLength: 200 }, { type: 'integer' }] },
  };
  for (const m of metricNames) properties[m] = { type: ['number', 'null'] };
  return {
    type: 'array',
    minItems: 1,
    maxItems: config.maxBatch,
    items: {
      type: 'object',
      required: [config.timeField],
      maxProperties: MAX_FIELDS,
      propertyNames: { maxLength: MAX_NAME },
      properties,
      // Extra columns are kept with the record, but only flat values: no nested objects or arrays.
      additionalProperties: { type: ['string', 'number', 'boolean', 'null'], maxLength: MAX_TEXT },
    },
  };
}

export interface CheckedRecord {
  readonly record: Record<string, unknown>;
  readonly ts: number;
  readonly segment: string | null;
  readonly clientId: string | null;
  /** Set when this is an interaction record (no metric field, an `aht_seconds`), for the roll-up. */
  readonly interaction?: Interaction;
}

/** How far ahead of the server's clock an interaction's time may be. */
const MAX_FUTURE_MS = 24 * 3600_000;

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const logScaled = new WeakMap<ServerConfig, ReadonlySet<string>>();
/**
 * Metrics CX_FIELDS models on a log scale (`aht_max:high:log`). ln(1 + value) needs values >= 0:
 * a negative one is refused here with a 400, not stored to fail when it is scored.
 */
function logMetrics(config: ServerConfig): ReadonlySet<string> {
  let s = logScaled.get(config);
  if (!s) logScaled.set(config, (s = new Set(parseFieldSpec(config.fields).fields.filter((f) => f.transform === 'log').map((f) => f.name))));
  return s;
}

/** An interaction record's fields (see rollup.ts), or a 400 naming the field. */
function checkInteraction(rec: Record<string, unknown>, i: number, ts: number, segment: string | null, timeField: string): Interaction {
  const F = INTERACTION_FIELDS;
  const where = (f: string): string => `record ${i} (body/${i}/${f})`;
  // One contact from the far future would close every interval up to its time (all later contacts late).
  if (ts > Date.now() + MAX_FUTURE_MS) throw new BadRequest(`${where(timeField)}: an interaction more than a day in the future (${new Date(ts).toISOString()}) is refused: it would close every interval before it`);
  const aht = rec[F.aht];
  if (!num(aht) || aht < 0) throw new BadRequest(`${where(F.aht)}: an interaction's handle time must be a number of seconds >= 0, got ${JSON.stringify(aht)}`);
  let transferred = false;
  const transfers = rec[F.transfers];
  const flag = rec[F.transferred];
  if (transfers !== undefined && transfers !== null) {
    if (!num(transfers) || transfers < 0) throw new BadRequest(`${where(F.transfers)}: must be a count >= 0, got ${JSON.stringify(transfers)}`);
    transferred = transfers > 0;
  } else if (flag !== undefined && flag !== null) {
    if (flag !== true && flag !== false && flag !== 0 && flag !== 1) throw new BadRequest(`${where(F.transferred)}: must be true, false, 1 or 0, got ${JSON.stringify(flag)}`);
    transferred = flag === true || flag === 1;
  }
  const c = rec[F.csat];
  let csat: number | null = null;
  if (c !== undefined && c !== null && c !== '') {
    if (!num(c)) throw new BadRequest(`${where(F.csat)}: must be a number, or null / empty for no survey answer, got ${JSON.stringify(c)}`);
    csat = c;
  }
  return { ts, segment, aht, transferred, csat };
}

/**
 * The checks after the schema: a readable time, finite metric values (JSON's 1e999 parses
 * to Infinity), and at least one metric (an empty record scores nothing).
 */
export function checkRecords(records: readonly Record<string, unknown>[], config: ServerConfig, metrics: readonly string[]): CheckedRecord[] {
  const out: CheckedRecord[] = new Array(records.length);
  const logs = logMetrics(config);
  for (let i = 0; i < records.length; i++) {
    const rec = records[i]!;
    let ts: number;
    try {
      ts = parseTime(rec[config.timeField]);
    } catch (e) {
      throw new BadRequest(`record ${i} (body/${i}/${config.timeField}): ${(e as Error).message}`);
    }
    let hasMetric = false;
    for (const m of metrics) {
      const v = rec[m];
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) throw new BadRequest(`record ${i} (body/${i}/${m}): ${v} is not a finite number`);
        if (v < 0 && logs.has(m)) throw new BadRequest(`record ${i} (body/${i}/${m}): ${v} is negative, and CX_FIELDS models ${m} on a log scale (ln(1 + value) needs values >= 0)`);
        hasMetric = true;
      } else if (v !== null && v !== undefined) {
        throw new BadRequest(`record ${i} (body/${i}/${m}): must be a number or null`);
      } else if (v === null) hasMetric = true;
    }
    const isInteraction = !hasMetric && rec[INTERACTION_FIELDS.aht] !== undefined;
    if (!hasMetric && !isInteraction) {
      throw new BadRequest(`record ${i} (body/${i}): has none of the metric fields ${metrics.join(', ')} (interval record), nor ${INTERACTION_FIELDS.aht} (interaction record)`);
    }
    for (const k in rec) {
      const v = rec[k];
      if (typeof v === 'number' && !Number.isFinite(v)) throw new BadRequest(`record ${i} (body/${i}/${k}): ${v} is not a finite number`);
    }
    const seg = rec[config.segmentField];
    const segment = typeof seg === 'string' ? seg : null;
    let id = rec[config.idField];
    if (isInteraction && (id === undefined || id === null)) id = rec[INTERACTION_FIELDS.id];
    const clientId = id === undefined || id === null ? null : String(id);
    out[i] = isInteraction ? { record: rec, ts, segment, clientId, interaction: checkInteraction(rec, i, ts, segment, config.timeField) } : { record: rec, ts, segment, clientId };
  }
  return out;
}

/** The JSON body text of a request, as it came (set by the JSON body parser; undefined for NDJSON, CSV). */
export function jsonTextOf(req: object): string | undefined {
  return (req as { jsonText?: string }).jsonText;
}

/** `{ "records": [...] }` is accepted wherever an array is (runs before validation). */
export function unwrapRecords(body: unknown): unknown {
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'records' in body) {
    const keys = Object.keys(body);
    if (keys.length === 1) return (body as { records: unknown }).records;
  }
  return body;
}
