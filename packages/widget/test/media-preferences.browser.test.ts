// The widget and the user's system preferences: `theme="auto"` follows prefers-color-scheme, and
// prefers-reduced-motion turns every animation and transition off. The media features are
// emulated in the real browser (Playwright's page.emulateMedia through @web/test-runner-commands).
import { expect } from '@open-wc/testing';
import { emulateMedia } from '@web/test-runner-commands';
import '../src/index.ts';
import type { CxAnomalyWidget } from '../src/index.ts';
import { frame, smallData, trainedWidget } from './widget-helpers.ts';

/** Every shadow root under (and including) this element's. */
function shadowRoots(el: Element): ShadowRoot[] {
  const out: ShadowRoot[] = [];
  const walk = (root: ShadowRoot) => {
    out.push(root);
    for (const e of root.querySelectorAll('*')) if (e.shadowRoot) walk(e.shadowRoot);
  };
  if (el.shadowRoot) walk(el.shadowRoot);
  return out;
}

const timelineRoot = (el: CxAnomalyWidget) => el.shadowRoot!.querySelector('cx-score-timeline')!.shadowRoot!;

/** How many pixels of the timeline's plot canvas have exactly this colour (#rrggbb). */
function pixelsOf(el: CxAnomalyWidget, hex: string): number {
  const canvas = timelineRoot(el).querySelector('canvas.plot') as HTMLCanvasElement;
  const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
  const r = parseInt(hex.slice(1, 3), 16);
  const g = parseInt(hex.slice(3, 5), 16);
  const b = parseInt(hex.slice(5, 7), 16);
  let n = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] === r && data[i + 1] === g && data[i + 2] === b && data[i + 3] === 255) n++;
  return n;
}

// Token values of the two themes (src/internal/theme.ts).
const LIGHT = { background: '#ffffff', text: '#1a1f26', grid: '#e3e8ee', scoreRgb: 'rgb(47, 75, 124)', bgRgb: 'rgb(255, 255, 255)' };
const DARK = { background: '#14181e', text: '#e7ebf0', grid: '#2a323d', scoreRgb: 'rgb(159, 192, 240)', bgRgb: 'rgb(20, 24, 30)' };

describe('cx-anomaly-widget: theme="auto" follows prefers-color-scheme', () => {
  let el: CxAnomalyWidget;
  before(async () => {
    await emulateMedia({ colorScheme: 'light' });
    el = await trainedWidget(smallData(3, ['billing']), { theme: 'auto' });
    await frame();
  });
  after(async () => {
    el.remove();
    await emulateMedia({ colorScheme: 'light' });
  });

  const token = (name: string) => getComputedStyle(el).getPropertyValue(name).trim();
  /** The computed stroke of the first metric trend's actual line (an SVG in a nested shadow root). */
  const trendStroke = () => {
    const trends = el.shadowRoot!.querySelector('cx-metric-trends')!;
    return getComputedStyle(trends.shadowRoot!.querySelector('path.actual')!).stroke;
  };

  async function settle(): Promise<void> {
    await frame();
    await el.updateComplete;
    await frame();
  }

  for (const [scheme, want, other] of [['light', LIGHT, DARK], ['dark', DARK, LIGHT], ['light', LIGHT, DARK]] as const) {
    it(`renders the ${scheme} theme when the system prefers ${scheme}`, async () => {
      await emulateMedia({ colorScheme: scheme });
      await settle();
      expect(matchMedia('(prefers-color-scheme: dark)').matches).to.equal(scheme === 'dark');
      expect(el.getAttribute('theme')).to.equal('auto');
      expect(token('--cx-background')).to.equal(want.background);
      expect(token('--cx-text')).to.equal(want.text);
      expect(getComputedStyle(el).backgroundColor).to.equal(want.bgRgb);
      expect(getComputedStyle(el).colorScheme).to.equal(scheme);
      // The custom properties reach the nested sub-views (SVG trends)...
      expect(trendStroke()).to.equal(want.scoreRgb);
      // ...and the canvas timeline is redrawn in the new colours (its grid lines).
      expect(pixelsOf(el, want.grid), `${scheme} grid pixels`).to.be.greaterThan(0);
      expect(pixelsOf(el, other.grid), `other theme's grid pixels`).to.equal(0);
    });
  }

  it('an explicit theme wins over the system preference', async () => {
    await emulateMedia({ colorScheme: 'dark' });
    el.theme = 'light';
    await settle();
    expect(token('--cx-background')).to.equal(LIGHT.background);
    expect(pixelsOf(el, LIGHT.grid)).to.be.greaterThan(0);
    expect(pixelsOf(el, DARK.grid)).to.equal(0);
    el.theme = 'dark';
    await emulateMedia({ colorScheme: 'light' });
    await settle();
    expect(token('--cx-background')).to.equal(DARK.background);
    expect(pixelsOf(el, DARK.grid)).to.be.greaterThan(0);
    expect(pixelsOf(el, LIGHT.grid)).to.equal(0);
  });
});

describe('cx-anomaly-widget: prefers-reduced-motion', () => {
  let el: CxAnomalyWidget;
  before(async () => {
    await emulateMedia({ reducedMotion: 'no-preference' });
    el = await trainedWidget(smallData(3, ['billing']));
    // The pulsing dot belongs to the live-stream status; no SSE server in this test, so the
    // status pill gets the class the widget gives it while a stream is live.
    el.shadowRoot!.querySelector('.status')!.classList.add('live');
    await frame();
  });
  after(async () => {
    el.remove();
    await emulateMedia({ reducedMotion: 'no-preference' });
  });

  /** Running animations and elements with a transition, over every shadow root of the widget. */
  function motion(): { animations: number; transitions: string[] } {
    let animations = 0;
    const transitions: string[] = [];
    for (const root of shadowRoots(el)) {
      animations += root.getAnimations().length;
      for (const e of root.querySelectorAll('*')) {
        const cs = getComputedStyle(e);
        if (cs.transitionDuration.split(',').some((d) => parseFloat(d) > 0)) transitions.push(`${e.localName}.${e.className}`);
        if (cs.animationName !== 'none') animations++;
      }
    }
    return { animations, transitions };
  }

  it('without a preference: the live dot pulses and buttons transition', async () => {
    const m = motion();
    expect(m.animations, 'animations').to.be.greaterThan(0);
    expect(m.transitions.length, 'elements with a transition').to.be.greaterThan(0);
    expect(getComputedStyle(el.shadowRoot!.querySelector('.status.live .dot')!).animationName).to.equal('pulse');
  });

  it('with prefers-reduced-motion: reduce, nothing animates or transitions', async () => {
    await emulateMedia({ reducedMotion: 'reduce' });
    await frame();
    expect(matchMedia('(prefers-reduced-motion: reduce)').matches).to.equal(true);
    const m = motion();
    expect(m.animations, 'animations').to.equal(0);
    expect(m.transitions, 'elements with a transition').to.deep.equal([]);
    expect(getComputedStyle(el.shadowRoot!.querySelector('.status.live .dot')!).animationName).to.equal('none');
  });
});
