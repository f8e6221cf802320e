/** Virtual module provided by each build (rollup.config.mjs, web-test-runner.config.mjs, .storybook/main.ts). */
declare module 'cx:engine-worker' {
  /** The whole worker as one classic script (single-file IIFE build), else null. */
  export const inlineWorkerSource: string | null;
  /** URL of the module worker file beside the bundle (ESM build, tests, Storybook), else null. */
  export const workerUrl: string | null;
}
