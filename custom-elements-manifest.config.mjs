// Generates packages/widget/custom-elements.json from the components' JSDoc.
export default {
  globs: ['packages/widget/src/**/*.component.ts'],
  exclude: ['**/*.test.ts'],
  outdir: 'packages/widget',
  litelement: true,
};
