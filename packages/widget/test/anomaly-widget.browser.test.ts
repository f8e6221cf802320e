import { expect, fixture, html } from '@open-wc/testing';
import '../src/index.ts';
import type { CxAnomalyWidget } from '../src/index.ts';
import type { Result } from '@cx-anomaly/engine';
import { CX_METRICS } from '../../../stories/cx-data.ts';
import { patternOf } from '../src/internal/feedback.ts';
import type { FeedbackPattern } from '../src/events.ts';
import { INCIDENT_END, INCIDENT_START, TEST_OPTIONS, deepQueryAll, deepText, frame, nextEvent, smallData, trainedWidget } from './widget-helpers.ts';

describe('cx-anomaly-widget: definition', () => {
  it('is defined once; evaluating the define module again does not throw', async () => {
    const ctor = customElements.get('cx-anomaly-widget');
    expect(ctor).to.exist;
    await import(`../src/components/anomaly-widget/anomaly-widget.ts?again=${Date.now()}`);
    expect(customElements.get('cx-anomaly-widget')).to.equal(ctor);
  });

  it('shows the empty state without data', async () => {
    const el = await fixture<CxAnomalyWidget>(html`<cx-anomaly-widget theme="light"></cx-anomaly-widget>`);
    expect(deepText(el.shadowRoot!)).to.contain('No data yet');
    el.data = [];
    await new Promise((r) => setTimeout(r, 0));
    await el.updateComplete;
    expect(el.state).to.equal('empty');
  });
});

describe('cx-anomaly-widget: one record', () => {
  it('scores a single record and counts it as "1 row" (was "1 rows")', async () => {
    const el = await trainedWidget(smallData().slice(0, 1));
    try {
      expect(el.results).to.have.length(1);
      const count = deepQueryAll(el.shadowRoot!, 'cx-stream-table').flatMap((t) => deepQueryAll(t.shadowRoot!, 'span.count[role="status"]'))[0]!;
      expect(count.textContent!.trim()).to.equal('1 row');
    } finally {
      el.remove();
    }
  });
});

describe('cx-anomaly-widget: data, properties and events', () => {
  let el: CxAnomalyWidget;
  const records = smallData();
  before(async () => {
    el = await trainedWidget(records);
  });
  after(() => el.remove());

  it('scores every record and exposes results, anomalies and model', () => {
    expect(el.state).to.equal('ready');
    expect(el.results).to.have.length(records.length);
    expect(el.anomalies.every((r) => r.isAnomaly)).to.equal(true);
    expect(el.model?.records).to.equal(records.length);
    expect(['module-worker', 'blob-worker', 'url-worker', 'in-process']).to.include(el.model?.mode);
    // Results carry the segment from segment-field and the time from time-field.
    expect(new Set(el.results.map((r) => r.segment))).to.deep.equal(new Set(['billing', 'sales']));
    expect(el.results.every((r) => typeof r.timestamp === 'number')).to.equal(true);
  });

  it('shows an anomaly\'s score whole in the table (0.999934 was cut to "0.999…")', async () => {
    const table = deepQueryAll(el.shadowRoot!, 'cx-stream-table')[0]! as HTMLElement & { updateComplete: Promise<unknown> };
    // Anomalies only, so that they are the rows in view (the table renders only those).
    const show = [...table.shadowRoot!.querySelectorAll('select')].find((s) => [...s.options].some((o) => o.value === 'anomalies'))!;
    show.value = 'anomalies';
    show.dispatchEvent(new Event('change'));
    await table.updateComplete;
    const cells = [...table.shadowRoot!.querySelectorAll('tbody tr.anomaly td.num')].filter((td) => /^0\.99\d{2,}$/.test(td.textContent!.trim()));
    expect(cells.length, 'anomaly rows with a long score in view').to.be.greaterThan(0);
    for (const td of cells) expect(td.scrollWidth, td.textContent!).to.be.at.most(td.clientWidth);
    show.value = 'all';
    show.dispatchEvent(new Event('change'));
    await table.updateComplete;
  });

  it('reflects its attributes to properties', () => {
    expect(el.metrics).to.equal(CX_METRICS);
    expect(el.timeField).to.equal('timestamp');
    expect(el.segmentField).to.equal('queue');
    el.setAttribute('locale', 'de-DE');
    expect(el.locale).to.equal('de-DE');
    el.removeAttribute('locale');
  });

  it('push() scores new records in order and fires cx-scored (push) and cx-anomaly for an outlier', async () => {
    const last = records[records.length - 2]!;
    const t = Date.parse(String(last.timestamp)) + 3_600_000;
    const normal = { ...last, timestamp: new Date(t).toISOString() };
    const outlier = { ...last, timestamp: new Date(t + 900_000).toISOString(), aht_avg: '9000', transfer_rate: '0.9', volume: '60' };
    const scored = nextEvent<{ results: Result[]; source: string }>(el, 'cx-scored');
    const anomaly = nextEvent<Result>(document, 'cx-anomaly'); // composed + bubbles: reaches the document
    const results = await el.push([normal, outlier]);
    expect(results).to.have.length(2);
    expect((await scored).detail.source).to.equal('push');
    const a = await anomaly;
    expect(a.detail.isAnomaly).to.equal(true);
    expect(a.detail.attribution.aht_avg!.high).to.be.greaterThan(a.detail.attribution.aht_avg!.low);
    expect(el.results).to.have.length(records.length + 2);
  });

  it('retrains when a config attribute changes (sensitivity -> contamination)', async () => {
    const ready = nextEvent<{ records: number }>(el, 'cx-ready');
    el.setAttribute('contamination', '0.05');
    const r = await ready;
    expect(r.detail.records).to.equal(el.data.length);
    // A higher contamination lowers the threshold read back from the results.
    expect(el.scoreThreshold).to.be.lessThan(0.999);
    const controls = el.shadowRoot!.querySelector('cx-widget-controls')!;
    await controls.updateComplete;
    const slider = controls.shadowRoot!.querySelector('input[type=range]') as HTMLInputElement;
    expect(slider.value).to.equal('4'); // 5 % is "Very high"
    expect(slider.getAttribute('aria-valuetext')).to.contain('5%');
  });

  it('rejects a push of something that is not a record, with cx-error', async () => {
    const err = nextEvent<{ code: string; message: string }>(el, 'cx-error');
    let threw = false;
    await el.push([42 as unknown as Record<string, unknown>]).catch(() => (threw = true));
    expect(threw).to.equal(true);
    expect((await err).detail.message).to.contain('record 0');
  });
});

describe('cx-anomaly-widget: loading from src', () => {
  it('fires cx-error with a retry button when src fails', async () => {
    const el = await fixture<CxAnomalyWidget>(html`<cx-anomaly-widget theme="light" metrics=${CX_METRICS}></cx-anomaly-widget>`);
    const err = nextEvent<{ code: string; message: string }>(el, 'cx-error');
    el.src = '/no/such/file.csv';
    const e = await err;
    expect(e.detail.code).to.equal('load');
    expect(e.detail.message).to.contain('404');
    await el.updateComplete;
    const retry = [...el.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Retry');
    expect(retry, 'retry button').to.exist;
    expect(el.shadowRoot!.querySelector('[role=alert]')?.textContent).to.contain('Could not load the data');
  });

  it('loads a CSV src and infers the metrics (cx-warning) when none are given', async () => {
    const rows = ['timestamp,queue,aht_avg,volume'];
    for (let i = 0; i < 300; i++) rows.push(`${new Date(Date.UTC(2026, 0, 5) + i * 900_000).toISOString()},billing,${300 + (i % 7) * 10},${20 + (i % 5)}`);
    const url = URL.createObjectURL(new Blob([rows.join('\n')], { type: 'text/csv' }));
    const el = document.createElement('cx-anomaly-widget') as CxAnomalyWidget;
    el.options = TEST_OPTIONS;
    el.setAttribute('segment-field', 'queue');
    const warning = nextEvent<{ code: string; message: string }>(el, 'cx-warning');
    const ready = nextEvent(el, 'cx-ready');
    el.src = url;
    document.body.append(el);
    try {
      // Worker warnings (cache) may come first: wait for ours.
      let w = await warning;
      while (w.detail.code !== 'metrics-inferred') w = await nextEvent(el, 'cx-warning');
      expect(w.detail.message).to.contain('aht_avg,volume');
      await ready;
      expect(el.results).to.have.length(300);
    } finally {
      el.remove();
    }
  });
});

describe('cx-anomaly-widget: offline fallback', () => {
  it('shows the copy of src saved at the last good load when the network fails', async () => {
    const rows = ['timestamp,queue,aht_avg,volume'];
    for (let i = 0; i < 200; i++) rows.push(`${new Date(Date.UTC(2026, 1, 2) + i * 900_000).toISOString()},sales,${400 + (i % 9) * 7},${30 + (i % 4)}`);
    const url = URL.createObjectURL(new Blob([rows.join('\n')], { type: 'text/csv' }));
    const el = document.createElement('cx-anomaly-widget') as CxAnomalyWidget;
    el.options = TEST_OPTIONS;
    el.setAttribute('metrics', 'aht_avg:high,volume');
    el.src = url;
    const first = nextEvent(el, 'cx-ready');
    document.body.append(el);
    try {
      await first;
      // The copy is written in the background after the load.
      await new Promise((r) => setTimeout(r, 300));
      URL.revokeObjectURL(url); // now the "network" fails for this URL
      const warning = (async () => {
        for (;;) {
          const w = await nextEvent<{ code: string }>(el, 'cx-warning');
          if (w.detail.code === 'offline-copy') return w;
        }
      })();
      const again = nextEvent(el, 'cx-ready');
      await el.reload();
      await warning;
      await again;
      expect(el.results).to.have.length(200);
      await el.updateComplete;
      expect(deepText(el.shadowRoot!)).to.contain('Offline copy');
    } finally {
      el.remove();
    }
  });
});

describe('cx-anomaly-widget: why panel, feedback and keyboard', () => {
  let el: CxAnomalyWidget;
  before(async () => {
    el = await trainedWidget();
  });
  after(() => el.remove());

  const chart = () => el.shadowRoot!.querySelector('cx-score-timeline')!.shadowRoot!.querySelector('.chart') as HTMLElement;
  const panel = () => el.shadowRoot!.querySelector('cx-why-panel');
  const key = (target: HTMLElement, k: string, shift = false) =>
    target.dispatchEvent(new KeyboardEvent('keydown', { key: k, shiftKey: shift, bubbles: true, composed: true }));

  it('the chart is one tab stop; arrows move the cursor, Enter opens the why panel, Escape closes it', async () => {
    const c = chart();
    expect(c.tabIndex).to.equal(0);
    expect(c.getAttribute('role')).to.equal('application');
    c.focus();
    await frame();
    key(c, 'Home');
    key(c, 'ArrowRight');
    key(c, 'PageDown'); // next anomaly
    await el.updateComplete;
    const live = el.shadowRoot!.querySelector('cx-score-timeline')!.shadowRoot!.querySelector('[aria-live]')!;
    expect(live.textContent).to.match(/anomaly, grade \d+/);
    // A visible cursor is drawn.
    await el.shadowRoot!.querySelector('cx-score-timeline')!.updateComplete;
    expect(el.shadowRoot!.querySelector('cx-score-timeline')!.shadowRoot!.querySelector('.cursor-dot')).to.exist;
    key(c, 'Enter');
    await el.updateComplete;
    expect(panel(), 'why panel after Enter').to.exist;
    await panel()!.updateComplete;
    expect(panel()!.shadowRoot!.textContent).to.contain('Why flagged');
    key(c, 'Escape');
    await el.updateComplete;
    expect(panel(), 'why panel after Escape').to.not.exist;
  });

  it('explains a flagged point: attribution per metric and actual vs expected', async () => {
    expect(el.showDetails()).to.equal(true);
    await el.updateComplete;
    const p = panel()!;
    await p.updateComplete;
    const text = p.shadowRoot!.textContent!;
    expect(text).to.match(/expected ~/);
    expect(text).to.match(/Grade\s*\d+/);
    // One line per metric of the field spec (five: the four averages and aht_max).
    expect(p.shadowRoot!.querySelectorAll('li')).to.have.length(CX_METRICS.split(',').length);
  });

  it('confirm fires cx-feedback and the confirmation is exportable as CSV and JSON', async () => {
    el.showDetails();
    await el.updateComplete;
    const p = panel()!;
    await p.updateComplete;
    const fb = nextEvent<{ kind: string; pattern: { metric: string } }>(el, 'cx-feedback');
    (p.shadowRoot!.querySelector('[part=confirm]') as HTMLButtonElement).click();
    const d = (await fb).detail;
    expect(d.kind).to.equal('confirm');
    const csv = el.exportConfirmations('csv');
    expect(csv.split('\n')[0]).to.equal('at,kind,segment,timestamp,metric,direction,score,grade');
    expect(csv).to.contain(`,confirm,`);
    expect(csv).to.contain(d.pattern.metric);
    const json = JSON.parse(el.exportConfirmations('json'));
    expect(json).to.have.length(1);
    await el.updateComplete;
    await p.updateComplete;
    expect(p.shadowRoot!.textContent).to.contain('Confirmed');
  });

  it('dismiss mutes the same pattern: its anomalies leave the open count and raise no cx-anomaly', async () => {
    const openCount = () => Number(/(\d+) open/.exec(el.shadowRoot!.querySelector('.counts')!.textContent!)?.[1] ?? 0);
    const entries = el.results;
    // The planted incident (smallData: billing, an hour of very long AHT and many transfers):
    // the seeded engine flags it, so the dismissed anomaly is always that one.
    const inIncident = (r: Result) => r.segment === 'billing' && (r.timestamp ?? 0) >= INCIDENT_START && (r.timestamp ?? 0) < INCIDENT_END;
    const target = entries.find((r) => r.isAnomaly && inIncident(r) && patternOf(r, 'billing') !== null);
    expect(target, 'the planted incident is flagged').to.exist;
    const before = openCount();
    el.showDetails(target);
    await el.updateComplete;
    const p = panel()!;
    await p.updateComplete;
    const fb = nextEvent<{ kind: string; suppressUntil: number; pattern: FeedbackPattern }>(el, 'cx-feedback');
    (p.shadowRoot!.querySelector('[part=dismiss]') as HTMLButtonElement).click();
    const d = (await fb).detail;
    expect(d.kind).to.equal('dismiss');
    expect(d.pattern).to.deep.equal(patternOf(target!, 'billing'));
    expect(d.suppressUntil - Date.now()).to.be.closeTo(240 * 60_000, 5000);
    // Every open anomaly of that pattern is muted now (the dismissed one included).
    const samePattern = entries.filter((r) => r.isAnomaly && samePatternAs(r, d.pattern)).length;
    await el.updateComplete;
    expect(samePattern).to.be.greaterThan(0);
    expect(openCount()).to.be.at.most(before - 1);
    // The same incident again, two days later at the same hour (both queues, so the stream stays
    // interleaved): the engine flags it with the same pattern, and the element stays quiet.
    const shift = 2 * 86_400_000;
    const repeat = el.data
      .filter((r) => {
        const t = Date.parse(String(r.timestamp));
        return t >= INCIDENT_START && t < INCIDENT_END;
      })
      .map((r) => ({ ...r, timestamp: new Date(Date.parse(String(r.timestamp)) + shift).toISOString() }));
    expect(Date.parse(String(repeat[0]!.timestamp))).to.be.greaterThan(Math.max(...entries.map((r) => r.timestamp ?? 0)));
    let anomalies = 0;
    const count = () => anomalies++;
    el.addEventListener('cx-anomaly', count);
    const openBefore = openCount();
    const results = await el.push(repeat);
    el.removeEventListener('cx-anomaly', count);
    const flagged = results.filter((r) => r.isAnomaly && samePatternAs(r, d.pattern));
    const seen = results.map((r) => `${r.segment} ${r.isAnomaly ? 'A' : '-'} ${JSON.stringify(patternOf(r, r.segment ?? ''))}`).join('; ');
    expect(flagged.length, `the repeated incident is flagged with the dismissed pattern (${seen})`).to.be.greaterThan(0);
    expect(anomalies, 'no cx-anomaly while muted').to.equal(0);
    await el.updateComplete;
    expect(openCount(), 'muted anomalies do not count as open').to.equal(openBefore);
  });
});

function samePatternAs(r: Result, p: FeedbackPattern): boolean {
  const q = patternOf(r, r.segment ?? '');
  return q !== null && q.segment === p.segment && q.metric === p.metric && q.direction === p.direction;
}

describe('cx-anomaly-widget: safety and theming', () => {
  it('renders hostile field values as text, never as HTML', async () => {
    const evil = '<img src=x onerror="window.__pwned=1">';
    const records = smallData(3, ['billing']).map((r, i) => (i % 3 === 0 ? { ...r, queue: evil } : r));
    const el = await trainedWidget(records);
    try {
      el.showDetails(el.results.find((r) => r.segment === evil));
      await el.updateComplete;
      await frame();
      expect(deepQueryAll(el.shadowRoot!, 'img')).to.have.length(0);
      expect(deepText(el.shadowRoot!)).to.contain(evil);
      expect((window as unknown as { __pwned?: number }).__pwned).to.equal(undefined);
    } finally {
      el.remove();
    }
  });

  it('themes through the theme attribute and CSS custom properties', async () => {
    const el = await fixture<CxAnomalyWidget>(html`<cx-anomaly-widget theme="light"></cx-anomaly-widget>`);
    const bg = () => getComputedStyle(el).getPropertyValue('--cx-background').trim();
    expect(bg()).to.equal('#ffffff');
    el.theme = 'dark';
    await el.updateComplete;
    expect(el.getAttribute('theme')).to.equal('dark');
    expect(bg()).to.equal('#14181e');
    // A host's own value on the element wins over the theme's.
    el.style.setProperty('--cx-background', 'rgb(1, 2, 3)');
    expect(getComputedStyle(el).backgroundColor).to.equal('rgb(1, 2, 3)');
  });

  it('exposes parts for styling from outside', async () => {
    const el = await trainedWidget(smallData(3, ['billing']));
    try {
      const parts = [...el.shadowRoot!.querySelectorAll('[part]')].map((p) => p.getAttribute('part'));
      for (const p of ['base', 'header', 'tile', 'timeline', 'trends', 'table', 'controls']) expect(parts).to.include(p);
    } finally {
      el.remove();
    }
  });
});
