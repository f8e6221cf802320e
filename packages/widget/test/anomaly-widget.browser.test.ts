import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import '../src/index.ts';
import type { CxAnomalyWidget } from '../src/index.ts';
import { CX_METRICS, intervalRecords } from '../../../stories/cx-data.ts';

describe('cx-anomaly-widget: data to results', () => {
  it('trains on `data`, scores every record and fires cx-ready and cx-scored', async () => {
    const { records } = intervalRecords(7, 3);
    const el = await fixture<CxAnomalyWidget>(html`<cx-anomaly-widget metrics=${CX_METRICS} time-field="timestamp" segment-field="queue" theme="light"></cx-anomaly-widget>`);
    const ready = new Promise<CustomEvent>((resolve, reject) => {
      el.addEventListener('cx-ready', resolve as EventListener, { once: true });
      el.addEventListener('cx-error', ((e: CustomEvent) => reject(new Error(`cx-error ${e.detail.code}: ${e.detail.message}`))) as EventListener);
      el.addEventListener('cx-warning', ((e: CustomEvent) => console.log('warning', e.detail.code, e.detail.message)) as EventListener);
    });
    const scored = oneEvent(el, 'cx-scored');
    el.data = records;
    const r = await ready;
    const s = await scored;
    expect(r.detail.records).to.equal(records.length);
    expect(s.detail.source).to.equal('batch');
    expect(el.results).to.have.length(records.length);
    expect(el.anomalies.length).to.be.greaterThan(0);
    expect(el.model?.records).to.equal(records.length);
    await el.updateComplete;
    const timeline = el.shadowRoot!.querySelector('cx-score-timeline');
    expect(timeline).to.exist;
  });
});
