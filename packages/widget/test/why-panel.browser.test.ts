import { expect, fixture, html } from '@open-wc/testing';
import '../src/index.ts';
import type { Result } from '@cx-anomaly/engine';
import type { Entry } from '../src/internal/store.ts';
import { parseFieldSpec } from '@cx-anomaly/engine';

const result: Result = {
  index: 7,
  timestamp: Date.UTC(2026, 0, 10, 5, 45),
  segment: 'tech_support',
  score: 0.996,
  grade: 30,
  isAnomaly: true,
  scores: { iforest: 0.99, rcf: 0.99, baseline: 0.99 },
  // The forests' attribution gives transfer_rate a "high" part although its value is the expected one.
  attribution: { aht_avg: { high: 0.75, low: 0.01 }, transfer_rate: { high: 0.16, low: 0.01 }, csat_avg: { high: 0.0, low: 0.05 }, volume: { high: 0.0, low: 0.02 } },
  expected: { aht_avg: 885, transfer_rate: 0, csat_avg: 3.38, volume: 1.9 },
  imputed: ['csat_avg'],
};
const entry: Entry = {
  seq: 1,
  x: result.timestamp!,
  segment: 'tech_support',
  severity: 'minor',
  record: { timestamp: '2026-01-10T05:45:00Z', queue: 'tech_support', aht_avg: 3290, transfer_rate: 0, csat_avg: null, volume: 1 },
  result,
  receivedAt: Date.now(),
};

describe('cx-why-panel: where each metric stands', () => {
  it('says above / below / at the expected level from the value and its expected one, not from the attribution alone', async () => {
    const el = await fixture<HTMLElement>(html`<cx-why-panel .entry=${entry} .metrics=${parseFieldSpec('aht_avg:high,transfer_rate:high,csat_avg:low,volume').fields} .segmentField=${'queue'}></cx-why-panel>`);
    const rows = [...el.shadowRoot!.querySelectorAll('li')].map((li) => li.textContent!.replace(/\s+/g, ' ').trim());
    const row = (label: string) => rows.find((t) => t.startsWith(label))!;
    expect(row('AHT')).to.contain('above normal');
    // "Transfer rate 0%, expected ~0%" read "above normal" (the attribution's high part).
    expect(row('Transfer rate')).to.contain('at its expected level');
    expect(row('Transfer rate')).not.to.contain('above normal');
    expect(row('Volume')).to.contain('below normal');
    // Imputed: no value to compare, the attribution's direction.
    expect(row('CSAT')).to.contain('below normal');
    expect(el.shadowRoot!.querySelector('.summary')!.textContent).to.contain('(higher than normal)');
  });
});
