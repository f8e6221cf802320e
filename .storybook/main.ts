// Storybook for the widget. Vite 8 does not lower standard decorators (`@property() accessor x`),
// so the project's own .ts files are pre-transformed with esbuild; the engine worker is bundled
// on request (see scripts/dev-plugins.mjs).
import type { StorybookConfig } from '@storybook/web-components-vite';
import { transform } from 'esbuild';
import { bundleWorker, repoRoot, WORKER_ENTRY_PATH } from '../scripts/dev-plugins.mjs';
import { join } from 'node:path';

const config: StorybookConfig = {
  stories: ['../stories/**/*.stories.ts'],
  framework: { name: '@storybook/web-components-vite', options: {} },
  core: { disableTelemetry: true },
  async viteFinal(viteConfig) {
    viteConfig.resolve ??= {};
    viteConfig.resolve.conditions = ['source', 'browser', 'module', 'import', 'default'];
    viteConfig.plugins ??= [];
    viteConfig.plugins.unshift({
      name: 'cx-esbuild-decorators',
      enforce: 'pre',
      async transform(code: string, id: string) {
        if (!/\/packages\/[^/]+\/src\/.*\.ts$/.test(id.split('?')[0]!) || id.includes('node_modules')) return null;
        const out = await transform(code, { loader: 'ts', target: 'es2022', sourcemap: true, sourcefile: id });
        return { code: out.code, map: out.map };
      },
    });
    viteConfig.plugins.unshift({
      name: 'cx-engine-worker',
      enforce: 'pre',
      resolveId(id: string) {
        return id === 'cx:engine-worker' ? '\0cx:engine-worker' : null;
      },
      async load(id: string) {
        if (id !== '\0cx:engine-worker') return null;
        // The worker is bundled once into a classic script and started from a Blob URL, which works
        // the same in `storybook dev` and in the static `storybook build`.
        const code = await bundleWorker(join(repoRoot, WORKER_ENTRY_PATH), 'iife');
        return `export const inlineWorkerSource = ${JSON.stringify(code)};\nexport const workerUrl = null;`;
      },
    });
    return viteConfig;
  },
};
export default config;
