import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CX_FIELDS, evalCxIncidents, renderCxIncidentsMarkdown } from '../src/eval/cx-incidents.ts';
import { INCIDENT_KINDS } from '../src/generate/cx-data.ts';

test('CX incident evaluation: every incident gets an outcome, false alarms per queue-day, a report', () => {
  const r = evalCxIncidents({ days: 6, seeds: [1], trainDays: 2, detector: { numTrees: 30, sampleSize: 128 } });
  assert.ok(r.incidents.length > 0);
  for (const i of r.incidents) {
    assert.ok(INCIDENT_KINDS.includes(i.kind));
    // Incidents sit after the training days (the generator keeps the first two days clean).
    assert.ok(Date.parse(i.start) >= Date.UTC(2026, 0, 7));
    if (i.detected) assert.ok(i.delayMinutes >= 0 && Number.isFinite(i.delayMinutes));
    else assert.ok(Number.isNaN(i.delayMinutes));
  }
  assert.equal(r.queueDays, 4 * 4);
  assert.ok(r.falseAlarms <= r.alerts && Number.isFinite(r.falseAlarmsPerQueueDay));
  assert.equal(r.kinds.reduce((s, k) => s + k.incidents, 0), r.incidents.length);
  const md = renderCxIncidentsMarkdown(r);
  assert.match(md, /\| incident kind \| flagged in window \| median delay \(min\) \|/);
  assert.match(md, /per queue-day/);
  assert.throws(() => evalCxIncidents({ days: 2, trainDays: 2 }), /trainDays must be an integer in \[1, days\)/);
});

test('CX incident evaluation: the product fields (with aht_max on a log scale) catch the single long calls the four averages miss', () => {
  const four = evalCxIncidents({ days: 6, seeds: [3], trainDays: 2, detector: { numTrees: 30, sampleSize: 128 }, fields: 'aht_avg:high,csat_avg:low,transfer_rate:high,volume' });
  const r = evalCxIncidents({ days: 6, seeds: [3], trainDays: 2, detector: { numTrees: 30, sampleSize: 128 } });
  assert.equal(r.options.fields, CX_FIELDS);
  assert.match(CX_FIELDS, /aht_max:high:log/);
  assert.equal(r.incidents.length, four.incidents.length);
  assert.equal(r.queueDays, four.queueDays);
  // The single outlier interactions (2-6 h calls) are the longest contact of their interval: caught in their window.
  const singles = r.incidents.filter((x) => x.kind === 'single_interaction');
  assert.ok(singles.length > 0);
  for (const i of singles) assert.ok(i.detected, `${i.queue} ${i.start}`);
  assert.ok(four.incidents.filter((x) => x.kind === 'single_interaction' && !x.detected).length > 0, 'the four averages alone miss one here (else this test shows nothing)');
});
