// Pan/zoom/brush arithmetic, time ticks and the linear scale of the charts (they replace
// d3-zoom, d3-brush, d3's time scale and d3-scale's scaleLinear in the widget).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { brushDrag, brushModeAt, clampRange, MAX_ZOOM, panBy, wheelFactor, zoomAbout } from '../src/internal/pan-zoom.ts';
import { timeTicks } from '../src/internal/time-ticks.ts';
import { linearScale } from '../src/internal/linear-scale.ts';

const D: [number, number] = [0, 1000];

describe('pan-zoom', () => {
  it('zooms about the pointer: the value under it stays put', () => {
    const v = zoomAbout(null, D, 250, 2)!;
    assert.deepEqual(v, [125, 625]);
    // 250 sat at 25% of the range before and does after.
    assert.equal((250 - v[0]) / (v[1] - v[0]), 0.25);
  });

  it('zooming out past the whole domain shows everything (null)', () => {
    assert.equal(zoomAbout([100, 300], D, 200, 0.1), null);
  });

  it('never zooms in beyond MAX_ZOOM and never leaves the domain', () => {
    const v = zoomAbout([0, 1], D, 0.5, 1e6)!;
    assert.ok(Math.abs(v[1] - v[0] - 1000 / MAX_ZOOM) < 1e-9, `span ${v[1] - v[0]}`);
    assert.deepEqual(clampRange([-50, 50], D), [0, 100]);
    assert.deepEqual(clampRange([980, 1080], D), [900, 1000]);
  });

  it('pans by data units, stopping at the edges with the span kept', () => {
    assert.deepEqual(panBy([100, 200], D, 50), [150, 250]);
    assert.deepEqual(panBy([100, 200], D, -500), [0, 100]);
    assert.equal(panBy(null, D, 10), null);
  });

  it('wheel steps as d3-zoom: down zooms out, up zooms in, line mode is coarser', () => {
    assert.ok(wheelFactor({ deltaY: 100, deltaMode: 0, ctrlKey: false }) < 1);
    assert.ok(wheelFactor({ deltaY: -100, deltaMode: 0, ctrlKey: false }) > 1);
    assert.equal(wheelFactor({ deltaY: -3, deltaMode: 1, ctrlKey: false }), 2 ** 0.15);
    assert.equal(wheelFactor({ deltaY: -100, deltaMode: 0, ctrlKey: true }), 2 ** 2);
  });

  it('brush: a press picks new / move / resize by where it lands', () => {
    assert.equal(brushModeAt(50, null), 'new');
    assert.equal(brushModeAt(102, [100, 200]), 'w');
    assert.equal(brushModeAt(197, [100, 200]), 'e');
    assert.equal(brushModeAt(150, [100, 200]), 'move');
    assert.equal(brushModeAt(20, [100, 200]), 'new');
  });

  it('brush: drags stay inside the strip and keep a move\'s width', () => {
    assert.deepEqual(brushDrag('new', 300, 120, null, 400), [120, 300]);
    assert.deepEqual(brushDrag('new', 300, 900, null, 400), [300, 400]);
    assert.deepEqual(brushDrag('move', 150, 400, [100, 200], 400), [300, 400]);
    assert.deepEqual(brushDrag('move', 150, -100, [100, 200], 400), [0, 100]);
    assert.deepEqual(brushDrag('e', 200, 260, [100, 200], 400), [100, 260]);
    // Dragging the west handle past the east edge flips the selection.
    assert.deepEqual(brushDrag('w', 100, 250, [100, 200], 400), [200, 250]);
  });
});

describe('time ticks', () => {
  const at = (y: number, mo: number, d: number, h = 0, mi = 0) => new Date(y, mo, d, h, mi).getTime();

  it('a day at 4 ticks: every 6 hours on the local clock, midnight labelled with the date', () => {
    const t = timeTicks(at(2026, 10, 27, 0, 10), at(2026, 10, 28, 0, 10), 4, 'en-GB');
    assert.deepEqual(t.values.map((v) => new Date(v).getHours()), [6, 12, 18, 0]);
    assert.equal(t.format(t.values[3]!), '28 Nov');
    assert.equal(t.format(t.values[1]!), '12:00');
  });

  it('a narrow chart over 6 days asking for 2 ticks gets 2-day ticks, not one weekly tick', () => {
    const t = timeTicks(at(2026, 0, 5, 1), at(2026, 0, 11), 2, 'en-US');
    assert.equal(t.values.length, 3);
    assert.equal(t.values[1]! - t.values[0]!, 2 * 86400e3);
  });

  it('never returns many more ticks than asked, over spans from seconds to years', () => {
    const t0 = at(2026, 0, 1, 9, 30);
    for (const span of [10e3, 5 * 60e3, 3 * 3600e3, 86400e3, 9 * 86400e3, 100 * 86400e3, 3 * 365 * 86400e3, 40 * 365 * 86400e3]) {
      for (const count of [2, 5, 10]) {
        const t = timeTicks(t0, t0 + span, count, 'en-GB');
        assert.ok(t.values.length >= 1 && t.values.length <= Math.ceil(count * 2.3) + 1, `span ${span}, count ${count}: ${t.values.length} ticks`);
        for (const v of t.values) assert.ok(v >= t0 && v <= t0 + span);
        for (let i = 1; i < t.values.length; i++) assert.ok(t.values[i]! > t.values[i - 1]!);
      }
    }
  });

  it('months start on the 1st and are labelled by month, years by the year', () => {
    const t = timeTicks(at(2026, 0, 15), at(2026, 9, 15), 4, 'en-GB');
    for (const v of t.values) assert.equal(new Date(v).getDate(), 1);
    assert.equal(t.format(at(2026, 3, 1)), 'Apr');
    const y = timeTicks(at(2000, 5, 1), at(2030, 5, 1), 4, 'en-GB');
    assert.ok(y.values.every((v) => new Date(v).getMonth() === 0 && new Date(v).getFullYear() % 10 === 0), y.values.map((v) => new Date(v).toISOString()).join());
    assert.equal(y.format(y.values[0]!), '2010');
  });

  it('clock steps restart at each local midnight (a 23-hour DST day keeps round hours)', () => {
    // In a zone without DST this is an ordinary day; in America/New_York, 8 March 2026 has 23 hours.
    const t = timeTicks(at(2026, 2, 8, 0, 10), at(2026, 2, 9, 0, 10), 4, 'en-GB');
    assert.deepEqual(t.values.map((v) => new Date(v).getHours()), [6, 12, 18, 0]);
  });

  it('labels follow the locale', () => {
    const t = timeTicks(at(2026, 2, 1), at(2026, 2, 20), 4, 'de-DE');
    assert.match(t.format(at(2026, 2, 9)), /9\. März/);
  });
});

describe('linear scale', () => {
  it('maps, inverts and clamps like d3 scaleLinear', () => {
    const s = linearScale([10, 20], [100, 0], true);
    assert.equal(s(15), 50);
    assert.equal(s(30), 0);
    assert.equal(s(-5), 100);
    assert.equal(s.invert(25), 17.5);
    assert.deepEqual(s.domain(), [10, 20]);
    const u = linearScale([10, 20], [100, 0]);
    assert.equal(u(30), -100);
  });

  it('ticks are d3-array\'s nice ticks; a zero-width domain maps to the middle', () => {
    assert.deepEqual(linearScale([0, 1], [0, 100]).ticks(5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.equal(linearScale([5, 5], [0, 100])(5), 50);
  });
});

it('the grade shown agrees with the severity word beside it, at every bucket edge', async () => {
  const { gradeShown, severityOf } = await import('../src/internal/severity.ts');
  // The shown whole number read against the buckets (3, 25, 50, 75) gives the same word as the grade.
  for (const g of [2.6, 2.99, 3, 24.5, 24.6, 24.99, 25, 49.5, 49.99, 50, 74.6, 75, 99.9, 100]) {
    assert.equal(severityOf(gradeShown(g)), severityOf(g), `grade ${g} shown as ${gradeShown(g)}`);
  }
  // Rounding showed 24.6 (a warning) as "25", the first grade of a minor anomaly.
  assert.equal(gradeShown(24.6), 24);
});
