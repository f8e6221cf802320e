import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { ref as refDirective } from 'lit/directives/ref.js';
import '../packages/widget/src/index.ts';
import type { CxAnomalyWidget } from '../packages/widget/src/index.ts';
import { CX_METRICS, intervalRecords, toCsv } from './cx-data.ts';

interface Args {
  theme: 'light' | 'dark' | 'auto';
  width: number | null;
  metrics: string;
  timeField: string;
  segmentField: string;
  contamination: number | undefined;
  maxAlertsPerDay: number | undefined;
  locale: string | undefined;
  days: number;
  queues: string;
}

/** Story-sized forest: the stories train in a few seconds, even on a slow laptop. */
const STORY_OPTIONS = { numTrees: 50, sampleSize: 128, seed: 3 };

function dataFor(args: Args) {
  return intervalRecords(args.days, 7, args.queues.split(',').map((q) => q.trim()).filter(Boolean)).records;
}

/** Renders the widget, then `after` runs once it has its data (e.g. opening the why panel). */
function widget(args: Args, setup: (el: CxAnomalyWidget) => void = (el) => (el.data = dataFor(args)), extra: Partial<Record<'src' | 'stream', string>> = {}) {
  const ref = (el?: Element) => {
    if (!el || (el as any).__storyInit) return;
    (el as any).__storyInit = true;
    const w = el as CxAnomalyWidget;
    w.options = STORY_OPTIONS;
    setup(w);
  };
  const bg = args.theme === 'dark' ? '#0d1015' : '#eef1f5';
  return html`<div style="background:${bg};padding:16px;${args.width ? `width:${args.width}px;` : ''}box-sizing:content-box">
    <cx-anomaly-widget
      ${refDirective(ref)}
      theme=${args.theme}
      metrics=${args.metrics}
      time-field=${args.timeField}
      segment-field=${ifDefined(args.segmentField || undefined)}
      contamination=${ifDefined(args.contamination)}
      max-alerts-per-day=${ifDefined(args.maxAlertsPerDay)}
      locale=${ifDefined(args.locale)}
      src=${ifDefined(extra.src)}
      stream=${ifDefined(extra.stream)}
    ></cx-anomaly-widget>
  </div>`;
}

const meta: Meta<Args> = {
  title: 'Widget/cx-anomaly-widget',
  tags: ['autodocs'],
  args: {
    theme: 'light',
    width: null,
    metrics: CX_METRICS,
    timeField: 'timestamp',
    segmentField: 'queue',
    contamination: undefined,
    maxAlertsPerDay: undefined,
    locale: undefined,
    days: 7,
    queues: 'billing,tech_support',
  },
  argTypes: {
    theme: { control: 'inline-radio', options: ['light', 'dark', 'auto'] },
    width: { control: { type: 'number', min: 280, max: 1600, step: 10 }, description: 'Width of the host container (px); empty = full width' },
    metrics: { control: 'text', description: 'Field spec (`metrics` attribute)' },
    timeField: { control: 'text', name: 'time-field' },
    segmentField: { control: 'text', name: 'segment-field' },
    contamination: { control: { type: 'number', min: 0.001, max: 0.2, step: 0.001 } },
    maxAlertsPerDay: { control: { type: 'number', min: 1, max: 50, step: 1 }, name: 'max-alerts-per-day' },
    locale: { control: 'text' },
    days: { control: { type: 'number', min: 3, max: 28 }, description: 'Days of synthetic data' },
    queues: { control: 'text', description: 'Queues of synthetic data (comma separated)' },
  },
  render: (args) => widget(args),
  parameters: { layout: 'fullscreen' },
};
export default meta;

type Story = StoryObj<Args>;

export const Ready: Story = {};
export const Dark: Story = { args: { theme: 'dark' } };
export const Sidebar320: Story = { name: 'Sidebar (320 px)', args: { width: 320 } };
export const Sidebar320Dark: Story = { name: 'Sidebar (320 px), dark', args: { width: 320, theme: 'dark' } };
export const Wide: Story = { name: 'Full width, four queues', args: { queues: 'billing,tech_support,sales,retention' } };

export const WhyPanelOpen: Story = {
  name: 'Why flagged panel open',
  render: (args) =>
    widget(args, (el) => {
      el.addEventListener('cx-ready', () => el.showDetails(), { once: true });
      el.data = dataFor(args);
    }),
};
export const WhyPanelOpenDark: Story = { ...WhyPanelOpen, name: 'Why flagged panel open, dark', args: { theme: 'dark' } };
export const WhyPanelNarrow: Story = { ...WhyPanelOpen, name: 'Why flagged panel, sidebar', args: { width: 320 } };

export const AlertBudget: Story = { name: 'Alert budget (2 a day)', args: { maxAlertsPerDay: 2 } };
export const GermanLocale: Story = { name: 'Locale de-DE', args: { locale: 'de-DE' } };

export const Training: Story = {
  name: 'Training (progress)',
  render: (args) =>
    widget(args, (el) => {
      el.options = { ...STORY_OPTIONS, numTrees: 100, sampleSize: 256 };
      el.data = dataFor({ ...args, days: 28 });
    }),
};

const NEVER_URL = 'https://cx-demo.invalid/never-answers.csv';

export const Loading: Story = {
  name: 'Loading (src never answers)',
  render: (args) => widget(args, () => undefined, { src: NEVER_URL }),
  decorators: [
    (story) => {
      // A src whose response never arrives, so the loading state stays on screen.
      const w = window as typeof window & { __cxNeverFetch?: boolean };
      if (!w.__cxNeverFetch) {
        w.__cxNeverFetch = true;
        const orig = window.fetch.bind(window);
        window.fetch = ((input: RequestInfo | URL, init?: RequestInit) =>
          String(input instanceof Request ? input.url : input) === NEVER_URL ? new Promise<Response>(() => undefined) : orig(input, init)) as typeof fetch;
      }
      return story();
    },
  ],
};

export const FromCsvSrc: Story = {
  name: 'From a CSV src',
  render: (args) => {
    const url = URL.createObjectURL(new Blob([toCsv(dataFor(args))], { type: 'text/csv' }));
    return widget(args, () => undefined, { src: url });
  },
};

export const Empty: Story = { render: (args) => widget(args, (el) => (el.data = [])) };

export const ErrorState: Story = {
  name: 'Error (with retry)',
  render: (args) => widget(args, () => undefined, { src: 'does-not-exist/intervals.csv' }),
};

export const OfflineStream: Story = {
  name: 'Offline (stream unreachable)',
  render: (args) =>
    widget(
      args,
      (el) => {
        el.data = dataFor(args);
      },
      { stream: 'no-such-stream/stream' },
    ),
};

export const Paused: Story = {
  name: 'Stream paused',
  render: (args) =>
    widget(
      args,
      (el) => {
        el.data = dataFor(args);
        el.setPaused(true);
      },
      { stream: 'no-such-stream/stream' },
    ),
};

export const Streaming: Story = {
  name: 'Streaming (host push)',
  render: (args) =>
    widget(args, (el) => {
      const all = dataFor({ ...args, days: args.days + 1 });
      const split = all.length - 96 * 2; // hold back the last day (two queues)
      el.data = all.slice(0, split);
      let next = split;
      el.addEventListener(
        'cx-ready',
        () => {
          const timer = setInterval(() => {
            if (!el.isConnected || next >= all.length) return clearInterval(timer);
            void el.push(all.slice(next, next + 2));
            next += 2;
          }, 1000);
        },
        { once: true },
      );
    }),
};

export const Unsafe: Story = {
  name: 'Hostile field values render as text',
  render: (args) =>
    widget({ ...args, segmentField: 'queue' }, (el) => {
      el.data = dataFor(args).map((r, i) => (i % 2 === 0 ? { ...r, queue: '<img src=x onerror=alert(1)>' } : r));
    }),
};
