import { CxStreamTable } from './stream-table.component.ts';

export * from './stream-table.component.ts';
if (!customElements.get('cx-stream-table')) customElements.define('cx-stream-table', CxStreamTable);
