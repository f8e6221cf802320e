// Two key-value stores in one IndexedDB database: idb-keyval's createStore creates its object
// store only with the database, so the second store used to fail with NotFoundError and fall
// back to memory ('cache-unavailable'). Both must persist.
import { expect } from '@open-wc/testing';
import { FeedbackStore, KvStore, ModelCache } from '../src/cache/index.ts';

let n = 0;
const freshDb = (): string => `cx-test-stores-${Date.now()}-${++n}`;

describe('KvStore: several stores in one database', () => {
  it('persists both the kv and the models store of a fresh database, with no warning', async () => {
    const db = freshDb();
    const warnings: string[] = [];
    const onWarning = (m: string, c: string): void => {
      warnings.push(`${c}: ${m}`);
    };
    const kv = new KvStore({ dbName: db, storeName: 'kv', onWarning });
    await kv.set('a', 1);
    const models = new KvStore({ dbName: db, storeName: 'models', onWarning });
    await models.set('m', new Uint8Array([1, 2, 3]));
    await kv.set('b', 2); // the first store keeps working after the second one's upgrade
    expect(warnings).to.deep.equal([]);
    expect(kv.persistent).to.equal(true);
    expect(models.persistent).to.equal(true);

    // New instances (a reload) read back what both wrote.
    const kv2 = new KvStore({ dbName: db, storeName: 'kv', onWarning });
    const models2 = new KvStore({ dbName: db, storeName: 'models', onWarning });
    expect(await kv2.get('a')).to.equal(1);
    expect(await kv2.get('b')).to.equal(2);
    expect([...((await models2.get<Uint8Array>('m')) ?? [])]).to.deep.equal([1, 2, 3]);
    expect((await models2.keys()).sort()).to.deep.equal(['m']);
    expect(warnings).to.deep.equal([]);
  });

  it('persists a model cache and feedback opened at the same time in one database', async () => {
    const db = freshDb();
    const warnings: string[] = [];
    const onWarning = (_m: string, c: string): void => {
      warnings.push(c);
    };
    const cache = new ModelCache(new KvStore({ dbName: db, storeName: 'models', onWarning }));
    const fb = new FeedbackStore('q', { dbName: db, storeName: 'feedback', onWarning });
    await Promise.all([cache.store.set('x', 'model'), fb.add({ index: 7, verdict: 'confirm' })]);
    expect(warnings).to.deep.equal([]);
    expect(await new KvStore({ dbName: db, storeName: 'models' }).get('x')).to.equal('model');
    expect((await new FeedbackStore('q', { dbName: db, storeName: 'feedback' }).list()).length).to.equal(1);
  });
});
