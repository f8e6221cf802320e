// Browser tests: *.browser.test.ts files, in Debian's Chromium (never a downloaded browser).
import { playwrightLauncher } from '@web/test-runner-playwright';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { cxWorkerDevServerPlugin } from './scripts/dev-plugins.mjs';

const chromiumArgs = [
  '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  // WebGL and WebGPU on the CPU (SwiftShader), for the accelerated tree-path kernels.
  '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--enable-unsafe-webgpu',
];

export default {
  rootDir: '.',
  files: ['packages/*/test/**/*.browser.test.ts'],
  nodeResolve: { exportConditions: ['source', 'browser', 'module', 'import', 'default'] },
  concurrency: 1,
  testFramework: { config: { timeout: 30000 } },
  testsFinishTimeout: 15 * 60 * 1000,
  browserStartTimeout: 60000,
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: { executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', headless: true, args: chromiumArgs },
    }),
  ],
  plugins: [cxWorkerDevServerPlugin(), esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' })],
};
