import { CxWhyPanel } from './why-panel.component.ts';

export * from './why-panel.component.ts';
if (!customElements.get('cx-why-panel')) customElements.define('cx-why-panel', CxWhyPanel);
