import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelFormatError, decodeModel, encodeModel, MODEL_FORMAT_VERSION, type ModelArray } from '../src/model/format.ts';
import { crc32 } from '../src/model/crc32.ts';
import { IsolationForest } from '../src/iforest/index.ts';
import { matrixFrom } from '../src/matrix.ts';
import { Prng } from '../src/random/prng.ts';
import { ENGINE_VERSION } from '../src/version.ts';

const header = {
  detector: 'test',
  params: { a: 1, b: 'x', c: [1, 2.5, null], nested: { d: true } },
  fieldSpec: 'aht_avg:high,csat_avg:low',
  calibration: { kind: 'quantile', points: [0.1, 0.9] },
  meta: { rows: 10 },
  created: '2026-01-02T03:04:05.000Z',
};

function allArrays(): Record<string, ModelArray> {
  return {
    f64: Float64Array.of(0, -0, 1.5, Number.MIN_VALUE, Number.MAX_VALUE, Infinity, -Infinity, NaN),
    f32: Float32Array.of(1.25, -3.5e-30, 7),
    i32: Int32Array.of(-2147483648, 2147483647, 0),
    u32: Uint32Array.of(4294967295, 1),
    u8: Uint8Array.of(255, 0, 7), // 3 bytes: the next array must be re-aligned
    i8: Int8Array.of(-128, 127),
    u16: Uint16Array.of(65535),
    i16: Int16Array.of(-32768, 5),
    empty: new Float64Array(0),
  };
}

function sameBits(a: ModelArray, b: ModelArray): void {
  assert.equal(a.constructor, b.constructor);
  assert.deepEqual(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
}

test('CRC-32 check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('round trip is exact: header fields and bit-identical arrays of every dtype', () => {
  const arrays = allArrays();
  const bytes = encodeModel(header, arrays);
  assert.deepEqual(Array.from(bytes.subarray(0, 4)), [0x43, 0x58, 0x4d, 0]);
  const { header: h, arrays: out } = decodeModel(bytes);
  assert.equal(h.formatVersion, MODEL_FORMAT_VERSION);
  assert.equal(h.engineVersion, ENGINE_VERSION);
  for (const k of ['detector', 'params', 'fieldSpec', 'calibration', 'meta', 'created'] as const) assert.deepEqual(h[k], header[k]);
  assert.deepEqual(Object.keys(out), Object.keys(arrays));
  for (const [k, a] of Object.entries(arrays)) sameBits(out[k]!, a);
  const bodyStart = bytes.length - h.bodyLength;
  assert.equal(bodyStart % 8, 0);
  for (const e of h.arrays) assert.equal(e.byteOffset % 8, 0);
  // A second encode of the decoded parts gives the same bytes.
  assert.deepEqual(encodeModel(h, out), bytes);
});

test('the explicit little-endian (big-endian host) path gives the same bytes and values', () => {
  const arrays = allArrays();
  const fast = encodeModel(header, arrays);
  const slow = encodeModel(header, arrays, true);
  assert.deepEqual(slow, fast);
  const back = decodeModel(fast, true).arrays;
  for (const [k, a] of Object.entries(arrays)) sameBits(back[k]!, a);
});

test('decoding works from an unaligned view into a larger buffer', () => {
  const bytes = encodeModel(header, allArrays());
  const big = new Uint8Array(bytes.length + 3);
  big.set(bytes, 3);
  const { arrays } = decodeModel(big.subarray(3));
  sameBits(arrays['f64']!, allArrays()['f64']!);
});

test('not a model file', () => {
  assert.throws(() => decodeModel(new TextEncoder().encode('f0,f1,label\n1,2,0\n')), (e: unknown) => e instanceof ModelFormatError && /not a model file/.test(e.message));
  assert.throws(() => decodeModel(new Uint8Array(0)), /not a model file/);
});

test('truncated header or body', () => {
  const bytes = encodeModel(header, allArrays());
  assert.throws(() => decodeModel(bytes.subarray(0, 6)), /truncated.*prefix/);
  assert.throws(() => decodeModel(bytes.subarray(0, 40)), /truncated: header declares/);
  assert.throws(() => decodeModel(bytes.subarray(0, bytes.length - 1)), /truncated: body declares/);
});

test('a corrupted body byte fails the checksum; a corrupted header fails parsing', () => {
  const bytes = encodeModel(header, allArrays());
  const bad = bytes.slice();
  bad[bad.length - 20]! ^= 0x10;
  assert.throws(() => decodeModel(bad), /corrupted: body checksum/);
  const badHeader = bytes.slice();
  badHeader[8] = 0x5b; // '{' -> '['
  assert.throws(() => decodeModel(badHeader), /header is corrupted/);
});

/** Rewrites the JSON header of a model file (keeps the body). */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const len = view.getUint32(4, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  edit(h);
  const json = new TextEncoder().encode(JSON.stringify(h));
  const bodyStart = (8 + len + 7) & ~7;
  const newStart = (8 + json.length + 7) & ~7;
  const out = new Uint8Array(newStart + bytes.length - bodyStart);
  out.set(bytes.subarray(0, 4));
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  out.set(bytes.subarray(bodyStart), newStart);
  return out;
}

test('a newer format version asks for an upgrade', () => {
  const bytes = withHeader(encodeModel(header, allArrays()), (h) => {
    h['formatVersion'] = MODEL_FORMAT_VERSION + 1;
    h['engineVersion'] = '9.0.0';
  });
  assert.throws(() => decodeModel(bytes), (e: unknown) => e instanceof ModelFormatError && /written by engine 9\.0\.0.*reads format <= 1; upgrade/.test(e.message));
});

test('unknown dtype and bad arrays are errors', () => {
  const bytes = withHeader(encodeModel(header, allArrays()), (h) => {
    (h['arrays'] as Array<Record<string, unknown>>)[0]!['dtype'] = 'complex128';
  });
  assert.throws(() => decodeModel(bytes), /unknown dtype "complex128"/);
  assert.throws(() => encodeModel(header, { x: [1, 2] as unknown as Float64Array }), /array "x"/);
  assert.throws(() => encodeModel({ ...header, params: { a: NaN } }, {}), /header\.params\.a is NaN/);
});

test('IsolationForest: save -> load -> score gives identical scores', () => {
  const p = new Prng(3);
  const data = new Float64Array(600 * 4);
  for (let i = 0; i < data.length; i++) data[i] = p.normal();
  const X = matrixFrom(data, 600, 4);
  const f = new IsolationForest({ numTrees: 50, seed: 9, contamination: 0.05 }).fit(X);
  const parts = f.toModelParts();
  const bytes = encodeModel({ ...parts.header, fieldSpec: 'a,b,c,d' }, parts.arrays);
  const { header: h, arrays } = decodeModel(bytes);
  const g = IsolationForest.fromModelParts(h, arrays);
  assert.deepEqual(g.scoreSamples(X), f.scoreSamples(X));
  assert.equal(g.threshold, f.threshold);
  assert.deepEqual(g.params, f.params);
  assert.deepEqual(g.predict(X), f.predict(X));
  // An inconsistent model is refused, not scored out of bounds.
  const broken = { ...arrays, left: Int32Array.from(arrays['left'] as Int32Array, (v, i) => (i === 0 ? 1e6 : v)) };
  assert.throws(() => IsolationForest.fromModelParts(h, broken), /outside the tree/);
  assert.throws(() => IsolationForest.fromModelParts({ ...h, detector: 'rcf' }, arrays), /not "iforest"/);
  const shallow = { ...h, params: { ...h.params, walkDepth: 2 } };
  assert.throws(() => IsolationForest.fromModelParts(shallow, arrays), /deeper than walkDepth 2/);
});
