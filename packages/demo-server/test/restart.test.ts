/** A restart loads the model kept in the store; a changed configuration trains a new one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { interval, post, startServer, tempDir } from './helpers.ts';

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
