/** Configuration: precedence, and a bad value stops start-up with a message naming it. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, DEFAULTS, loadConfig, MAX_DEFAULT_WORKERS, supportOf } from '../src/config.ts';
import { FIELDS, tempDir } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('loadConfig', () => {
  test('defaults', () => {
    const c = loadConfig({ env: {}, argv: [] });
    assert.equal(c.port, 8000);
    assert.equal(c.store, './data/cx.sqlite');
    assert.equal(c.replay, true);
    assert.equal(c.bodyLimit, 1024 * 1024);
    assert.deepEqual(c.corsOrigins, []);
    assert.equal(c.ingestToken, undefined);
    assert.equal(c.intervalMinutes, 15);
    assert.equal(c.intervalGraceSeconds, 60);
    assert.equal(loadConfig({ env: { CX_INTERVAL: '5', CX_INTERVAL_GRACE: '0' } }).intervalMinutes, 5);
    // Worker pools default to the cores available (capped), and take an explicit count.
    const cores = Math.min(MAX_DEFAULT_WORKERS, availableParallelism());
    assert.equal(c.scoreWorkers, cores);
    assert.equal(c.streamWorkers, cores);
    assert.equal(loadConfig({ env: { CX_SCORE_WORKERS: '3', CX_STREAM_WORKERS: '1' } }).scoreWorkers, 3);
    assert.equal(loadConfig({ env: { CX_SCORE_WORKERS: '3', CX_STREAM_WORKERS: '1' } }).streamWorkers, 1);
  });

  test('support fields: auto follows CX_FIELDS; none; explicit pairs', () => {
    assert.deepEqual(supportOf(loadConfig({ env: {} })), { supportField: 'volume', supportFields: { csat_avg: 'csat_responses' } });
    assert.deepEqual(supportOf(loadConfig({ env: { CX_FIELDS: 'aht_avg:high,transfer_rate:high' } })), {});
    assert.deepEqual(supportOf(loadConfig({ env: { CX_SUPPORT_FIELD: 'none', CX_SUPPORT_FIELDS: 'none' } })), {});
    const c = loadConfig({ env: { CX_FIELDS: 'aht_avg:high,csat_avg:low,contacts', CX_SUPPORT_FIELD: 'contacts', CX_SUPPORT_FIELDS: 'csat_avg:surveys, aht_avg:contacts' } });
    assert.deepEqual(supportOf(c), { supportField: 'contacts', supportFields: { csat_avg: 'surveys', aht_avg: 'contacts' } });
  });

  test('fields: the default models aht_max on a log scale; a transform token works wherever the spec is read', () => {
    assert.equal(DEFAULTS.fields, FIELDS);
    assert.equal(loadConfig({ env: {} }).fields, 'aht_avg:high,csat_avg:low,transfer_rate:high,volume,aht_max:high:log');
    // Support settings see the metric name, not the transform token.
    const c = loadConfig({ env: { CX_FIELDS: 'aht_max:high:log, volume', CX_SUPPORT_FIELDS: 'aht_max:volume' } });
    assert.deepEqual(supportOf(c), { supportField: 'volume', supportFields: { aht_max: 'volume' } });
    assert.deepEqual(supportOf(loadConfig({ env: { CX_FIELDS: 'aht_max:log' } })), {}, 'name:transform, direction both');
  });

  test('file < environment < flags', () => {
    const dir = tempDir();
    const file = join(dir, 'cx.json');
    writeFileSync(file, JSON.stringify({ port: 9001, contamination: 0.02, corsOrigins: ['https://a.example'], replaySpeed: 60 }));
    const c = loadConfig({ env: { CX_CONFIG: file, PORT: '9002', CX_REPLAY: 'off' }, argv: ['--port', '9003', '--replay-speed=120'] });
    assert.equal(c.port, 9003);
    assert.equal(c.contamination, 0.02);
    assert.deepEqual(c.corsOrigins, ['https://a.example']);
    assert.equal(c.replay, false);
    assert.equal(c.replaySpeed, 120);
    assert.equal(loadConfig({ env: {}, argv: ['--no-replay'] }).replay, false);
    assert.deepEqual(loadConfig({ env: { CX_CORS_ORIGINS: 'https://a.example, http://localhost:3000/' } }).corsOrigins, ['https://a.example', 'http://localhost:3000']);
  });

  const bad: [Record<string, string>, string[], RegExp][] = [
    [{ PORT: 'eighty' }, [], /^PORT: must be an integer in \[0, 65535\], got "eighty"/],
    [{ PORT: '70000' }, [], /^PORT: /],
    [{ CX_REPLAY: 'maybe' }, [], /^CX_REPLAY: must be on or off/],
    [{ CX_DURABILITY: 'extra' }, [], /^CX_DURABILITY: must be one of full, normal/],
    [{ CX_REPLAY_SPEED: '0' }, [], /^CX_REPLAY_SPEED: must be a number in \(0, /],
    [{ CX_FIELDS: 'aht_avg:up' }, [], /^CX_FIELDS: .*direction "up"/],
    [{ CX_FIELDS: 'aht_max:high:sqrt' }, [], /^CX_FIELDS: .*"sqrt"/],
    [{ CX_TIME_FIELD: 'aht_max' }, [], /^CX_TIME_FIELD: "aht_max" is also a metric in CX_FIELDS/],
    [{ CX_SUPPORT_FIELD: 'aht_max' }, [], /^CX_SUPPORT_FIELD: "aht_max" is read as the count of contacts, but CX_FIELDS models it on a log scale/],
    [{ CX_FIELDS: 'aht_avg:high,volume:both:log' }, [], /^CX_SUPPORT_FIELD: auto: "volume" is read as the count of contacts, but CX_FIELDS models it on a log scale .*or set CX_SUPPORT_FIELD to none/],
    [{ CX_SEGMENT_FIELD: 'que ue' }, [], /^CX_SEGMENT_FIELD: must be a field name/],
    [{ CX_CONTAMINATION: '0.9' }, [], /^CX_CONTAMINATION: must be a number in \(0, 0.5\]/],
    [{ CX_INGEST_TOKEN: 'short' }, [], /^CX_INGEST_TOKEN: must be at least 16 characters/],
    [{ CX_CORS_ORIGINS: 'not a url' }, [], /^CX_CORS_ORIGINS: "not a url" is not an origin/],
    [{ CX_CORS_ORIGINS: 'https://a.example/path' }, [], /^CX_CORS_ORIGINS: .* no path/],
    [{ CX_BODY_LIMIT: '1MB' }, [], /^CX_BODY_LIMIT: must be an integer/],
    [{ CX_RATE_LIMIT: '-1' }, [], /^CX_RATE_LIMIT: /],
    [{ CX_MAX_SSE_CLIENTS: '1.5' }, [], /^CX_MAX_SSE_CLIENTS: /],
    [{ CX_LOG_LEVEL: 'loud' }, [], /^CX_LOG_LEVEL: must be one of/],
    [{ CX_INTERVAL: '0' }, [], /^CX_INTERVAL: must be an integer in \[1, 1440\], got "0"/],
    [{ CX_SCORING_NICE: '20' }, [], /^CX_SCORING_NICE: must be an integer in \[0, 19\], got "20"/],
    [{ CX_SCORE_WORKERS: '0' }, [], /^CX_SCORE_WORKERS: must be an integer in \[1, 64\], got "0"/],
    [{ CX_SCORE_WORKERS: 'auto' }, [], /^CX_SCORE_WORKERS: must be an integer in \[1, 64\], got "auto"/],
    [{ CX_STREAM_WORKERS: '65' }, [], /^CX_STREAM_WORKERS: must be an integer in \[1, 64\], got "65"/],
    [{ CX_INTERVAL_GRACE: '1m' }, [], /^CX_INTERVAL_GRACE: must be an integer in \[0, 86400\]/],
    [{ CX_TIME_FIELD: 'aht_avg' }, [], /^CX_TIME_FIELD: "aht_avg" is also a metric/],
    [{ CX_SUPPORT_FIELD: 'contacts' }, [], /^CX_SUPPORT_FIELD: "contacts" is not a metric of CX_FIELDS/],
    [{ CX_SUPPORT_FIELDS: 'csat_avg=csat_responses' }, [], /^CX_SUPPORT_FIELDS: "csat_avg=csat_responses" is not metric:countField/],
    [{ CX_SUPPORT_FIELDS: 'nps:responses' }, [], /^CX_SUPPORT_FIELDS: "nps" is not a metric of CX_FIELDS/],
    [{ CX_SUPPORT_FIELDS: 'csat_avg:queue' }, [], /^CX_SUPPORT_FIELDS: count field "queue" is the time or segment field/],
    [{ CX_CONFIG: '/nonexistent/cx.json' }, [], /^CX_CONFIG: cannot read config file/],
    [{}, ['--prot', '1'], /^--prot: unknown option/],
    [{}, ['--port'], /^--port: needs a value/],
  ];
  for (const [env, argv, message] of bad) {
    test(`rejects ${JSON.stringify(env)} ${argv.join(' ')}`, () => {
      assert.throws(() => loadConfig({ env, argv }), (e: unknown) => e instanceof ConfigError && message.test((e as Error).message));
    });
  }

  test('a config file with an unknown key or bad JSON names the file and key', () => {
    const dir = tempDir();
    const a = join(dir, 'a.json');
    writeFileSync(a, '{"prot": 1}');
    assert.throws(() => loadConfig({ env: { CX_CONFIG: a } }), /a\.json: "prot": unknown key/);
    const b = join(dir, 'b.json');
    writeFileSync(b, '{"port": 1,}');
    assert.throws(() => loadConfig({ env: { CX_CONFIG: b } }), /CX_CONFIG: config file .*b\.json" is not valid JSON/);
    const c = join(dir, 'c.json');
    writeFileSync(c, '{"port": "x"}');
    assert.throws(() => loadConfig({ env: { CX_CONFIG: c } }), /c\.json: "port": must be an integer/);
  });

  test('DEFAULTS has every key', () => {
    assert.equal(Object.values(DEFAULTS).filter((v) => v === null).length, 0);
  });
});

describe('start-up with a bad value', () => {
  test('exits with code 2 and a message naming the variable', () => {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN], {
      cwd: ROOT,
      env: { ...process.env, CX_MAX_SSE_CLIENTS: 'lots', CX_STORE: join(tempDir(), 'x.sqlite') },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /configuration error: CX_MAX_SSE_CLIENTS: must be an integer in \[0, 100000\], got "lots"/);
  });
});
