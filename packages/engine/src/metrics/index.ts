export { rocAuc, averagePrecision } from './ranking.ts';
export { quantile } from './quantile.ts';
