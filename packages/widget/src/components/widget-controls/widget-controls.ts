import { CxWidgetControls } from './widget-controls.component.ts';

export * from './widget-controls.component.ts';
if (!customElements.get('cx-widget-controls')) customElements.define('cx-widget-controls', CxWidgetControls);
