/** A restart loads the model kept in the store; a changed configuration trains a new one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { DEFAULTS, loadConfig, supportOf, supportText } from '../src/config.ts';
import { ModelManager } from '../src/model.ts';
import { FIELDS, FIELDS_V1, interval, post, startServer, tempDir } from './helpers.ts';

test('restart: stored model reused when it fits the configuration, retrained when not', { timeout: 90_000 }, async () => {
  const dir = tempDir();
  try {
    const a = await startServer({}, { dir });
    assert.equal((await (await fetch(`${a.url}/health`)).json()).model.source, 'generated');
    assert.equal((await post(`${a.url}/ingest`, [interval(1), interval(2)])).status, 201);
    await a.server.ctx.pipeline.idle();
    await a.close();

    const b = await startServer({}, { dir });
    const hb = await (await fetch(`${b.url}/health`)).json();
    assert.equal(hb.model.source, 'file');
    assert.equal(hb.store.records, 2);
    assert.equal((await post(`${b.url}/score`, [interval(3)])).status, 200);
    await b.close();

    // Same fields, other support settings (CX_SUPPORT_FIELDS): the stored model does not fit either.
    const s = await startServer({ supportFields: 'none' }, { dir });
    const hs = await (await fetch(`${s.url}/health`)).json();
    assert.equal(hs.model.source, 'generated');
    await s.close();

    const c = await startServer({ fields: 'aht_avg:high,volume' }, { dir });
    const hc = await (await fetch(`${c.url}/health`)).json();
    assert.equal(hc.model.source, 'generated');
    await c.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a model stored for the old default fields is retrained for the new default; the log transform is part of the fields compared', { timeout: 90_000 }, async () => {
  const dir = tempDir();
  const source = async (fields: string | undefined): Promise<string> => {
    const t = await startServer(fields === undefined ? {} : { fields }, { dir });
    try {
      return (await (await fetch(`${t.url}/health`)).json()).model.source;
    } finally {
      await t.close();
    }
  };
  try {
    assert.equal(await source(FIELDS_V1), 'generated', 'a store from before aht_max');
    assert.equal(await source(undefined), 'generated', 'the new default (aht_max:high:log) does not reuse it');
    // The same spec spelled otherwise (spaces, case, the default direction written out) is the same model.
    assert.equal(await source(' aht_avg:HIGH, csat_avg:low,transfer_rate:high ,volume:both,aht_max:high:LOG'), 'file');
    // Same names and directions without the transform: modelled on another scale, so retrained.
    assert.equal(await source('aht_avg:high,csat_avg:low,transfer_rate:high,volume,aht_max:high'), 'generated');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mismatch() compares the canonical field text, transform included', () => {
  const cfg = loadConfig({ env: {}, overrides: { replay: false } });
  const m = new ModelManager(cfg, null as never, { error() {} });
  const s = supportOf(cfg);
  const loaded = (fields: string) => ({ fields, timeField: 'timestamp', segmentField: 'queue', contamination: DEFAULTS.contamination, numTrees: DEFAULTS.numTrees, sampleSize: DEFAULTS.sampleSize, support: supportText(s.supportField, s.supportFields) });
  assert.equal(m.mismatch(loaded('aht_avg:high,csat_avg:low,transfer_rate:high,volume:both,aht_max:high:log')), null);
  assert.equal(
    m.mismatch(loaded('aht_avg:high,csat_avg:low,transfer_rate:high,volume:both')),
    `for fields aht_avg:high,csat_avg:low,transfer_rate:high,volume:both, not aht_avg:high,csat_avg:low,transfer_rate:high,volume:both,aht_max:high:log`,
  );
  assert.match(m.mismatch(loaded('aht_avg:high,csat_avg:low,transfer_rate:high,volume:both,aht_max:high'))!, /^for fields .*aht_max:high, not .*aht_max:high:log$/);
  assert.equal(FIELDS, cfg.fields);
});
