export { IsolationForest } from './isolation-forest.ts';
export type { IsolationForestOptions, IsolationForestParams, IsolationForestModelParts } from './isolation-forest.ts';
export type { IsolationForestState } from './state.ts';
export { averagePathLength, EULER_GAMMA } from './path-length.ts';
