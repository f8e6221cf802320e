import { CxScoreTimeline } from './score-timeline.component.ts';

export * from './score-timeline.component.ts';
if (!customElements.get('cx-score-timeline')) customElements.define('cx-score-timeline', CxScoreTimeline);
