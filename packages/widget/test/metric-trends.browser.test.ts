import { expect } from '@open-wc/testing';
import '../src/index.ts';
import type { CxAnomalyWidget } from '../src/index.ts';
import type { CxRecord } from '@cx-anomaly/engine';
import { deepQueryAll, smallData, trainedWidget } from './widget-helpers.ts';

/** The figure of the metric whose caption starts with `label` in the widget's small multiples. */
function figure(el: CxAnomalyWidget, label: string): Element {
  const trends = deepQueryAll(el.shadowRoot!, 'cx-metric-trends')[0]!;
  const fig = [...trends.shadowRoot!.querySelectorAll('figure')].find((f) => f.querySelector('figcaption .name')!.textContent!.trim().startsWith(label));
  expect(fig, `a chart for ${label}`).to.exist;
  return fig!;
}

describe('cx-metric-trends: zoomed in, sparse values', () => {
  let el: CxAnomalyWidget;
  // CSAT answered on every third interval only (its neighbours have none), as survey data is.
  const base = smallData(3, ['billing']);
  // The newest interval: every contact transferred (a transfer rate of 100 %, as a night with one call gives).
  const records: CxRecord[] = base.map((r, i) => ({ ...r, csat_avg: i % 3 === 0 ? '4.2' : '', ...(i === base.length - 1 ? { transfer_rate: '1' } : {}) }));
  before(async () => {
    el = await trainedWidget(records);
    const trends = deepQueryAll(el.shadowRoot!, 'cx-metric-trends')[0] as HTMLElement & { domain: readonly [number, number] | null; updateComplete: Promise<unknown> };
    // The last 12 hours: 48 intervals, fewer than the chart's pixel columns.
    const t1 = el.results[el.results.length - 1]!.timestamp!;
    trends.domain = [t1 - 12 * 3_600_000, t1];
    await trends.updateComplete;
  });
  after(() => el.remove());

  it('breaks a line only at missing values, not at columns without a point', () => {
    const t1 = el.results[el.results.length - 1]!.timestamp!;
    const inView = records.filter((r) => Date.parse(String(r.timestamp)) >= t1 - 12 * 3_600_000);
    for (const [label, field] of [['Volume', 'volume'], ['AHT', 'aht_avg']] as const) {
      // Runs of present values in view: one subpath ("M") each (48 intervals, each in its own column).
      let runs = 0;
      inView.forEach((r, i) => {
        const present = r[field] !== '' && r[field] !== null && r[field] !== undefined;
        const before = i > 0 && inView[i - 1]![field] !== '' && inView[i - 1]![field] != null;
        if (present && !before) runs++;
      });
      const d = figure(el, label).querySelector('path.actual')!.getAttribute('d')!;
      // Before: a new subpath after every column without a point, about one per interval (48).
      expect(d.split('M').length - 1, `${label}: ${runs} runs of values`).to.equal(runs);
    }
  });

  it('gives every CSAT answer with no neighbour on the line a dot (a zero-length subpath drew nothing)', () => {
    const fig = figure(el, 'CSAT');
    const shown = records.filter((r) => {
      const t = Date.parse(String(r.timestamp));
      const t1 = el.results[el.results.length - 1]!.timestamp!;
      return r.csat_avg !== '' && t >= t1 - 12 * 3_600_000 && t <= t1;
    }).length;
    expect(shown).to.be.greaterThan(10);
    expect(fig.querySelectorAll('circle.dot').length).to.equal(shown);
  });

  it('a share never gets an axis above 100 % (the band and the headroom made it "max 108.5%")', () => {
    const ticks = [...figure(el, 'Transfer rate').querySelectorAll('text.tick')].map((t) => t.textContent!.trim());
    const max = ticks.find((t) => t.startsWith('max '))!;
    expect(max).to.equal('max 100%');
  });

  it('breaks a line across a gap in the data (a stream that was down for hours), not across empty columns', async () => {
    // Three hours with no records, inside the 12 hours in view.
    const t1 = Date.parse(String(records[records.length - 1]!.timestamp));
    const gapped = records.filter((r) => {
      const t = Date.parse(String(r.timestamp));
      return t < t1 - 8 * 3_600_000 || t >= t1 - 5 * 3_600_000;
    });
    const other = await trainedWidget(gapped);
    try {
      const trends = deepQueryAll(other.shadowRoot!, 'cx-metric-trends')[0] as HTMLElement & { domain: readonly [number, number] | null; updateComplete: Promise<unknown> };
      trends.domain = [t1 - 12 * 3_600_000, t1];
      await trends.updateComplete;
      const d = figure(other, 'Volume').querySelector('path.actual')!.getAttribute('d')!;
      expect(d.split('M').length - 1).to.equal(2);
    } finally {
      other.remove();
    }
  });
});
