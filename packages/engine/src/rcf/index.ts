export { RandomCutForest, createDiVector, diVectorTotal } from './forest.ts';
export type { DiVector, RandomCutForestOptions, RcfParams, RcfState, RcfArray, SamplingMode } from './forest.ts';
export { Shingler } from './shingler.ts';
export { walkKernelStatus, setWalkKernelEnabled } from './kernel/walk-kernel.ts';
export { detLn, detLog2, detExp2 } from './det-math.ts';
