import { AnomalyDetector, Prng } from '@cx-anomaly/engine';
function makeRecords(n: number, seed = 1) {
  const rng = new Prng(seed);
  const out = [];
  for (let i = 0; i < n; i++) out.push({ interval_start: new Date(Date.UTC(2026, 0, 5) + Math.floor(i / 2) * 900_000).toISOString(), queue: i % 2 ? 'a' : 'b', aht_avg: 300 + 20 * rng.normal(), csat_avg: i % 5 === 0 ? 4.2 : null, transfer_rate: 0.1 + 0.01 * rng.normal(), volume: 50 + 4 * rng.normal() });
  return out;
}
const cfg = { fields: 'aht_avg:high,csat_avg:low,transfer_rate:high,volume', timeField: 'interval_start', segmentField: 'queue', numTrees: 50, sampleSize: 128, seed: 7 };
let t = performance.now();
const det = new AnomalyDetector(cfg).fit(makeRecords(2000));
console.log('fit 2000', performance.now() - t);
const recs = makeRecords(100000, 2);
t = performance.now();
det.score(recs);
console.log('score 100k', performance.now() - t);
t = performance.now();
det.scoreColumnar(recs);
console.log('scoreColumnar 100k', performance.now() - t);
t = performance.now();
det.updateMany(recs.slice(0, 10000));
console.log('update 10k', performance.now() - t);
console.log('model bytes', det.save().length);
