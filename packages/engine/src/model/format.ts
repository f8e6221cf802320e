/**
 * The model file: one versioned, self-describing container for every detector.
 * The same bytes go to disk (CLI, server), IndexedDB (widget) and HTTP.
 *
 * Layout (all integers little-endian):
 *
 *     offset 0   4 bytes  magic "CXM\0"
 *     offset 4   u32      H = byte length of the JSON header
 *     offset 8   H bytes  JSON header, UTF-8
 *                         zero padding up to the next multiple of 8: the body start
 *     body       each array's elements, little-endian, each starting at an
 *                8-byte-aligned offset from the body start (zero padding between)
 *
 * Header fields: magic "CXM", formatVersion, engineVersion (of the writer),
 * detector, params, fieldSpec, calibration, meta, created (ISO time),
 * arrays [{ name, dtype, byteOffset (from the body start), length (elements) }],
 * bodyLength (bytes), checksum { algorithm: "crc32", value: 8 hex digits }.
 * The checksum is the CRC-32 (zlib/PNG polynomial, see crc32.ts) of the whole
 * body, padding included. The header itself is checked by parsing and
 * validation.
 *
 * Isomorphic: TextEncoder/TextDecoder and DataView only, no Node Buffer. On a
 * little-endian host the array bytes are copied as they are; on a big-endian
 * host they are converted element by element through DataView.
 */
import { ENGINE_VERSION } from '../version.ts';
import { crc32 } from './crc32.ts';

export const MODEL_MAGIC = 'CXM';
/** The format this engine writes, and the newest it reads. */
export const MODEL_FORMAT_VERSION = 1;
const MAGIC_BYTES = [0x43, 0x58, 0x4d, 0x00];
const PREFIX_BYTES = 8;

export type ModelArray = Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array | Int8Array | Uint16Array | Int16Array;
export type ModelDType = 'float64' | 'float32' | 'int32' | 'uint32' | 'uint8' | 'int8' | 'uint16' | 'int16';

interface DTypeInfo {
  readonly ctor: { new (length: number): ModelArray; new (buffer: ArrayBuffer, byteOffset: number, length: number): ModelArray; readonly BYTES_PER_ELEMENT: number };
  readonly get: (v: DataView, at: number) => number;
  readonly set: (v: DataView, at: number, x: number) => void;
}

const DTYPES: Readonly<Record<ModelDType, DTypeInfo>> = {
  float64: { ctor: Float64Array, get: (v, a) => v.getFloat64(a, true), set: (v, a, x) => v.setFloat64(a, x, true) },
  float32: { ctor: Float32Array, get: (v, a) => v.getFloat32(a, true), set: (v, a, x) => v.setFloat32(a, x, true) },
  int32: { ctor: Int32Array, get: (v, a) => v.getInt32(a, true), set: (v, a, x) => v.setInt32(a, x, true) },
  uint32: { ctor: Uint32Array, get: (v, a) => v.getUint32(a, true), set: (v, a, x) => v.setUint32(a, x, true) },
  uint8: { ctor: Uint8Array, get: (v, a) => v.getUint8(a), set: (v, a, x) => v.setUint8(a, x) },
  int8: { ctor: Int8Array, get: (v, a) => v.getInt8(a), set: (v, a, x) => v.setInt8(a, x) },
  uint16: { ctor: Uint16Array, get: (v, a) => v.getUint16(a, true), set: (v, a, x) => v.setUint16(a, x, true) },
  int16: { ctor: Int16Array, get: (v, a) => v.getInt16(a, true), set: (v, a, x) => v.setInt16(a, x, true) },
};

export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

export interface ModelArrayEntry {
  readonly name: string;
  readonly dtype: ModelDType;
  /** From the start of the body; a multiple of 8. */
  readonly byteOffset: number;
  /** Number of elements. */
  readonly length: number;
}

/** What the caller provides to {@link encodeModel}. Everything must be JSON (finite numbers only). */
export interface ModelHeaderInput {
  readonly detector: string;
  /** Plain JSON object (an interface type is fine; it is checked at run time). */
  readonly params: object;
  /** The field spec the model was trained with (canonical text or parsed); null when not applicable. */
  readonly fieldSpec: unknown;
  readonly calibration?: unknown;
  readonly meta?: Readonly<Record<string, unknown>>;
  /** ISO time; defaults to now. Pass one for byte-identical output. */
  readonly created?: string;
}

export interface ModelHeader {
  readonly magic: typeof MODEL_MAGIC;
  readonly formatVersion: number;
  readonly engineVersion: string;
  readonly detector: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly fieldSpec: unknown;
  readonly calibration: unknown;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly created: string;
  readonly arrays: readonly ModelArrayEntry[];
  readonly bodyLength: number;
  readonly checksum: { readonly algorithm: 'crc32'; readonly value: string };
}

export interface DecodedModel {
  readonly header: ModelHeader;
  readonly arrays: Record<string, ModelArray>;
}

/** True on little-endian hosts (all current browsers' and Node's platforms in practice). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function dtypeOf(a: unknown): ModelDType | null {
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Int16Array) return 'int16';
  return null;
}

const align8 = (n: number): number => (n + 7) & ~7;

/** Rejects values that JSON would silently change (NaN, Infinity, undefined in arrays, functions, typed arrays). */
function checkJson(value: unknown, path: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ModelFormatError(`encodeModel: ${path} is ${value}; model headers hold finite numbers only`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkJson(v, `${path}[${i}]`));
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) checkJson(v, `${path}.${k}`);
    }
    return;
  }
  throw new ModelFormatError(`encodeModel: ${path} is not plain JSON data (${Object.prototype.toString.call(value)}); put typed arrays in the arrays argument`);
}

/**
 * Writes a model file. `testBigEndianPath` forces the element-by-element
 * DataView path (the one a big-endian host takes) so tests can check both give
 * identical bytes.
 */
export function encodeModel(header: ModelHeaderInput, arrays: Readonly<Record<string, ModelArray>>, testBigEndianPath = false): Uint8Array {
  if (typeof header?.detector !== 'string' || header.detector === '') throw new ModelFormatError('encodeModel: header.detector must be a non-empty string');
  checkJson(header.params, 'header.params');
  checkJson(header.fieldSpec ?? null, 'header.fieldSpec');
  checkJson(header.calibration ?? null, 'header.calibration');
  checkJson(header.meta ?? {}, 'header.meta');

  const entries: ModelArrayEntry[] = [];
  const sources: ModelArray[] = [];
  let bodyLength = 0;
  for (const [name, a] of Object.entries(arrays)) {
    const dtype = dtypeOf(a);
    if (dtype === null) throw new ModelFormatError(`encodeModel: array "${name}" is a ${Object.prototype.toString.call(a)}; supported: ${Object.keys(DTYPES).join(', ')}`);
    bodyLength = align8(bodyLength);
    entries.push({ name, dtype, byteOffset: bodyLength, length: a.length });
    sources.push(a);
    bodyLength += a.byteLength;
  }
  bodyLength = align8(bodyLength);

  const body = new Uint8Array(bodyLength);
  const bodyView = new DataView(body.buffer);
  entries.forEach((e, i) => {
    const a = sources[i]!;
    if (HOST_LITTLE_ENDIAN && !testBigEndianPath) {
      body.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), e.byteOffset);
    } else {
      const { set } = DTYPES[e.dtype];
      const step = a.BYTES_PER_ELEMENT;
      for (let k = 0; k < a.length; k++) set(bodyView, e.byteOffset + k * step, a[k]!);
    }
  });

  const full: ModelHeader = {
    magic: MODEL_MAGIC,
    formatVersion: MODEL_FORMAT_VERSION,
    engineVersion: ENGINE_VERSION,
    detector: header.detector,
    params: header.params as Readonly<Record<string, unknown>>,
    fieldSpec: header.fieldSpec ?? null,
    calibration: header.calibration ?? null,
    meta: header.meta ?? {},
    created: header.created ?? new Date().toISOString(),
    arrays: entries,
    bodyLength,
    checksum: { algorithm: 'crc32', value: crc32(body).toString(16).padStart(8, '0') },
  };
  const json = new TextEncoder().encode(JSON.stringify(full));
  const bodyStart = align8(PREFIX_BYTES + json.length);
  const out = new Uint8Array(bodyStart + bodyLength);
  out.set(MAGIC_BYTES, 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, PREFIX_BYTES);
  out.set(body, bodyStart);
  return out;
}

/** True when the bytes start like a model file (for sniffing before decoding). */
export function isModelFile(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && MAGIC_BYTES.every((b, i) => bytes[i] === b);
}

/** Reads a model file; throws {@link ModelFormatError} saying what is wrong. */
export function decodeModel(bytes: Uint8Array, testBigEndianPath = false): DecodedModel {
  if (!(bytes instanceof Uint8Array)) throw new ModelFormatError('decodeModel: expected a Uint8Array');
  const prefixMatches = MAGIC_BYTES.every((b, i) => i >= bytes.length || bytes[i] === b);
  if (!prefixMatches || bytes.length === 0) {
    throw new ModelFormatError('not a model file: it does not start with the magic bytes "CXM\\0"');
  }
  if (bytes.length < PREFIX_BYTES) throw new ModelFormatError(`model file truncated: ${bytes.length} bytes, shorter than its 8-byte prefix`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true);
  if (PREFIX_BYTES + headerLength > bytes.length) {
    throw new ModelFormatError(`model file truncated: header declares ${headerLength} bytes, only ${bytes.length - PREFIX_BYTES} present`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)));
  } catch (e) {
    throw new ModelFormatError(`model file header is corrupted: not valid UTF-8 JSON (${(e as Error).message})`);
  }
  const header = checkHeader(parsed);
  if (header.formatVersion > MODEL_FORMAT_VERSION) {
    throw new ModelFormatError(
      `model file format version ${header.formatVersion} was written by engine ${header.engineVersion}; this engine (${ENGINE_VERSION}) reads format <= ${MODEL_FORMAT_VERSION}; upgrade the engine`,
    );
  }
  const bodyStart = align8(PREFIX_BYTES + headerLength);
  if (bodyStart + header.bodyLength > bytes.length) {
    throw new ModelFormatError(`model file truncated: body declares ${header.bodyLength} bytes, only ${Math.max(0, bytes.length - bodyStart)} present`);
  }
  const body = bytes.subarray(bodyStart, bodyStart + header.bodyLength);
  const actual = crc32(body).toString(16).padStart(8, '0');
  if (actual !== header.checksum.value.toLowerCase()) {
    throw new ModelFormatError(`model file corrupted: body checksum is ${actual}, header says ${header.checksum.value} (crc32)`);
  }

  const arrays: Record<string, ModelArray> = {};
  const bodyView = new DataView(body.buffer, body.byteOffset, body.byteLength);
  for (const e of header.arrays) {
    const info = DTYPES[e.dtype];
    const step = info.ctor.BYTES_PER_ELEMENT;
    const byteLength = e.length * step;
    if (e.byteOffset % 8 !== 0 || e.byteOffset + byteLength > header.bodyLength) {
      throw new ModelFormatError(`model file header is corrupted: array "${e.name}" (${e.length} x ${e.dtype} at ${e.byteOffset}) lies outside the ${header.bodyLength}-byte body`);
    }
    // Always copy into a fresh buffer: the result does not alias the input and is aligned.
    const out = new info.ctor(e.length);
    if (HOST_LITTLE_ENDIAN && !testBigEndianPath) {
      new Uint8Array(out.buffer).set(body.subarray(e.byteOffset, e.byteOffset + byteLength));
    } else {
      for (let k = 0; k < e.length; k++) out[k] = info.get(bodyView, e.byteOffset + k * step);
    }
    arrays[e.name] = out;
  }
  return { header, arrays };
}

function checkHeader(h: unknown): ModelHeader {
  const bad = (what: string): never => {
    throw new ModelFormatError(`model file header is corrupted: ${what}`);
  };
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return bad('not a JSON object');
  const o = h as Record<string, unknown>;
  if (o['magic'] !== MODEL_MAGIC) bad(`magic is ${JSON.stringify(o['magic'])}, expected "${MODEL_MAGIC}"`);
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (!isCount(o['formatVersion']) || (o['formatVersion'] as number) < 1) bad(`formatVersion ${JSON.stringify(o['formatVersion'])}`);
  if (typeof o['engineVersion'] !== 'string') bad('engineVersion missing');
  // A newer format may change everything below; report the version before anything else.
  if ((o['formatVersion'] as number) > MODEL_FORMAT_VERSION) return o as unknown as ModelHeader;
  if (typeof o['detector'] !== 'string') bad('detector missing');
  if (typeof o['params'] !== 'object' || o['params'] === null) bad('params missing');
  if (typeof o['created'] !== 'string') bad('created missing');
  if (!isCount(o['bodyLength'])) bad(`bodyLength ${JSON.stringify(o['bodyLength'])}`);
  const c = o['checksum'] as Record<string, unknown> | undefined;
  if (!c || c['algorithm'] !== 'crc32' || typeof c['value'] !== 'string' || !/^[0-9a-f]{8}$/i.test(c['value'])) {
    bad(`checksum ${JSON.stringify(c)}; expected { algorithm: "crc32", value: 8 hex digits }`);
  }
  if (!Array.isArray(o['arrays'])) bad('arrays list missing');
  const names = new Set<string>();
  for (const e of o['arrays'] as unknown[]) {
    const a = e as Record<string, unknown>;
    if (typeof a?.['name'] !== 'string') bad('an array entry has no name');
    const name = a['name'] as string;
    if (names.has(name)) bad(`array "${name}" listed twice`);
    names.add(name);
    if (typeof a['dtype'] !== 'string' || !Object.hasOwn(DTYPES, a['dtype'])) {
      throw new ModelFormatError(`model file array "${name}" has unknown dtype ${JSON.stringify(a['dtype'])}; supported: ${Object.keys(DTYPES).join(', ')}`);
    }
    if (!isCount(a['byteOffset']) || !isCount(a['length'])) bad(`array "${name}" has a bad byteOffset or length`);
  }
  return o as unknown as ModelHeader;
}
