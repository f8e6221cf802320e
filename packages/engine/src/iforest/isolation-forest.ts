/**
 * Isolation Forest (Liu, Ting & Zhou, ICDM 2008), with scikit-learn's
 * conventions so that scores are comparable with `sklearn.ensemble.IsolationForest`:
 *
 *     const forest = new IsolationForest({ numTrees: 100, sampleSize: 256, seed: 1 }).fit(X);
 *     const scores = forest.scoreSamples(X);   // 2^(-E[h(x)] / c(psi)), in (0, 1]; higher = more anomalous
 *     const flags = forest.predict(X);         // 1 where score > threshold
 *
 * Threshold. With a numeric `contamination` (default 0.01), `fit` scores the
 * training rows and sets `threshold` to their (1 - contamination) quantile
 * (linear interpolation, as sklearn's `offset_` from `np.percentile`), so about
 * that share of the training rows lies strictly above it. With `'auto'` the
 * threshold is the paper's 0.5 (sklearn's `contamination='auto'`) and `fit`
 * only grows trees.
 *
 * Edge cases (documented behaviour, tested):
 * - fewer rows than `sampleSize`: every tree uses all rows (psi = rows);
 * - one training row, or all columns constant: nothing can be split, every
 *   tree is a single leaf and every point gets the same score, 0.5 up to
 *   floating-point rounding ("no distinct anomaly": path c(psi) / c(psi));
 *   with one row c(1) = 0, so exactly 0.5 is set directly;
 * - NaN or +-Infinity in the input to `fit` or scoring: a RangeError naming the
 *   row and column (missing values are imputed upstream, never here).
 */
import type { Matrix } from '../matrix.ts';
import { quantile } from '../metrics/quantile.ts';
import { buildForest, defaultDepthLimit } from './build.ts';
import { averagePathLength } from './path-length.ts';
import { accumulatePathLengths } from './score.ts';
import type { IsolationForestState } from './state.ts';
import { checkFiniteMatrix } from './validate.ts';

export interface IsolationForestOptions {
  /** Number of trees. Default 100. */
  readonly numTrees?: number;
  /** Rows drawn (without replacement) for each tree. Default 256. */
  readonly sampleSize?: number;
  /** Expected share of anomalies in the training data, in (0, 0.5], or 'auto' (threshold 0.5). Default 0.01. */
  readonly contamination?: number | 'auto';
  /** Seed of every random choice. Default 1. */
  readonly seed?: number;
  /** Depth limit of each tree. Default ceil(log2(psi)). */
  readonly maxDepth?: number;
}

/** Parameters as stored in a model file. */
export interface IsolationForestParams {
  readonly numTrees: number;
  readonly sampleSize: number;
  readonly contamination: number | 'auto';
  readonly seed: number;
  readonly maxDepth: number | null;
}

/** What a fitted forest stores in a model file (see `model/format.ts`). */
export interface IsolationForestModelParts {
  readonly header: {
    readonly detector: 'iforest';
    readonly params: IsolationForestParams & {
      readonly numFeatures: number;
      readonly psi: number;
      readonly walkDepth: number;
      readonly threshold: number;
    };
  };
  readonly arrays: {
    readonly treeOffsets: Int32Array;
    readonly feature: Int32Array;
    readonly split: Float64Array;
    readonly left: Int32Array;
    readonly pathLength: Float64Array;
    readonly size: Int32Array;
  };
}

export class IsolationForest {
  readonly params: IsolationForestParams;
  private _state: IsolationForestState | null = null;
  private _threshold = NaN;

  constructor(options: IsolationForestOptions = {}) {
    const numTrees = options.numTrees ?? 100;
    const sampleSize = options.sampleSize ?? 256;
    const contamination = options.contamination ?? 0.01;
    const seed = options.seed ?? 1;
    const maxDepth = options.maxDepth ?? null;
    if (!Number.isInteger(numTrees) || numTrees < 1) throw new RangeError(`IsolationForest: numTrees must be an integer >= 1, got ${numTrees}`);
    if (!Number.isInteger(sampleSize) || sampleSize < 1) throw new RangeError(`IsolationForest: sampleSize must be an integer >= 1, got ${sampleSize}`);
    if (contamination !== 'auto' && !(contamination > 0 && contamination <= 0.5)) {
      throw new RangeError(`IsolationForest: contamination must be in (0, 0.5] or 'auto', got ${contamination}`);
    }
    if (!Number.isFinite(seed)) throw new RangeError(`IsolationForest: seed must be a finite number, got ${seed}`);
    if (maxDepth !== null && (!Number.isInteger(maxDepth) || maxDepth < 0)) {
      throw new RangeError(`IsolationForest: maxDepth must be an integer >= 0, got ${maxDepth}`);
    }
    this.params = { numTrees, sampleSize, contamination, seed, maxDepth };
  }

  /** Grows the trees on X (rows = points) and fits the threshold. */
  fit(X: Matrix): this {
    checkFiniteMatrix(X, 'IsolationForest.fit');
    if (X.rows < 1) throw new RangeError('IsolationForest.fit: the training matrix has no rows');
    if (X.cols < 1) throw new RangeError('IsolationForest.fit: the training matrix has no columns');
    const { numTrees, sampleSize, seed, maxDepth, contamination } = this.params;
    this._state = buildForest(X, { numTrees, sampleSize, seed, ...(maxDepth === null ? {} : { maxDepth }) });
    this._threshold = contamination === 'auto' ? 0.5 : quantile(this.scoreUnchecked(X, new Float64Array(X.rows)), 1 - contamination);
    return this;
  }

  get fitted(): boolean {
    return this._state !== null;
  }

  /** The fitted trees, read-only (see `IsolationForestState`). */
  get state(): IsolationForestState {
    return this.requireState('state');
  }

  /** Scores above this are anomalies (see the class comment for how it is fitted). */
  get threshold(): number {
    this.requireState('threshold');
    return this._threshold;
  }

  /** Depth limit the trees were grown with. */
  get depthLimit(): number {
    const s = this.requireState('depthLimit');
    return this.params.maxDepth ?? defaultDepthLimit(s.psi);
  }

  /** Mean path length E[h(x)] over the trees, per row of X. */
  pathLengths(X: Matrix, out?: Float64Array): Float64Array {
    const s = this.checkInput(X, 'pathLengths');
    const acc = this.output(X.rows, out, 'pathLengths');
    accumulatePathLengths(s, X.data, X.rows, X.cols, acc);
    const inv = 1 / s.numTrees;
    for (let i = 0; i < X.rows; i++) acc[i] = acc[i]! * inv;
    return acc;
  }

  /** Anomaly score 2^(-E[h(x)] / c(psi)) per row of X, in (0, 1]; higher = more anomalous. */
  scoreSamples(X: Matrix, out?: Float64Array): Float64Array {
    this.checkInput(X, 'scoreSamples');
    return this.scoreUnchecked(X, this.output(X.rows, out, 'scoreSamples'));
  }

  /** 1 where the score is above `threshold`, else 0. */
  predict(X: Matrix): Uint8Array {
    const scores = this.scoreSamples(X);
    const t = this._threshold;
    const flags = new Uint8Array(X.rows);
    for (let i = 0; i < X.rows; i++) flags[i] = scores[i]! > t ? 1 : 0;
    return flags;
  }

  toModelParts(): IsolationForestModelParts {
    const s = this.requireState('toModelParts');
    return {
      header: {
        detector: 'iforest',
        params: { ...this.params, numFeatures: s.numFeatures, psi: s.psi, walkDepth: s.walkDepth, threshold: this._threshold },
      },
      arrays: {
        treeOffsets: s.treeOffsets,
        feature: s.feature,
        split: s.split,
        left: s.left,
        pathLength: s.pathLength,
        size: s.size,
      },
    };
  }

  /** Rebuilds a fitted forest from `toModelParts()` output (e.g. a decoded model file), checking its consistency. */
  static fromModelParts(header: { readonly detector: string; readonly params: object }, arrays: Readonly<Record<string, ArrayBufferView>>): IsolationForest {
    if (header.detector !== 'iforest') throw new Error(`IsolationForest.fromModelParts: model is for detector "${header.detector}", not "iforest"`);
    const p = header.params as Readonly<Record<string, unknown>>;
    const num = (key: string): number => {
      const v = p[key];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`IsolationForest.fromModelParts: parameter "${key}" is missing or not a number (${String(v)})`);
      return v;
    };
    const arr = <T extends ArrayBufferView>(name: string, type: new (...a: never[]) => T): T => {
      const a = arrays[name];
      if (!(a instanceof type)) throw new Error(`IsolationForest.fromModelParts: array "${name}" is missing or not a ${type.name}`);
      return a;
    };
    const maxDepth = p['maxDepth'] === null || p['maxDepth'] === undefined ? undefined : num('maxDepth');
    const contamination = p['contamination'] === 'auto' ? 'auto' : num('contamination');
    const forest = new IsolationForest({ numTrees: num('numTrees'), sampleSize: num('sampleSize'), contamination, seed: num('seed'), ...(maxDepth === undefined ? {} : { maxDepth }) });
    const state: IsolationForestState = {
      numTrees: num('numTrees'),
      numFeatures: num('numFeatures'),
      psi: num('psi'),
      walkDepth: num('walkDepth'),
      treeOffsets: arr('treeOffsets', Int32Array),
      feature: arr('feature', Int32Array),
      split: arr('split', Float64Array),
      left: arr('left', Int32Array),
      pathLength: arr('pathLength', Float64Array),
      size: arr('size', Int32Array),
    };
    checkState(state);
    forest._state = state;
    forest._threshold = num('threshold');
    return forest;
  }

  private scoreUnchecked(X: Matrix, out: Float64Array): Float64Array {
    const s = this._state!;
    accumulatePathLengths(s, X.data, X.rows, X.cols, out);
    const norm = s.numTrees * averagePathLength(s.psi);
    if (norm === 0) {
      // psi = 1: no tree can split, c(1) = 0; every point is equally (un)isolated.
      out.fill(0.5, 0, X.rows);
      return out;
    }
    const k = -1 / norm;
    for (let i = 0; i < X.rows; i++) out[i] = 2 ** (out[i]! * k);
    return out;
  }

  private requireState(what: string): IsolationForestState {
    if (this._state === null) throw new Error(`IsolationForest.${what}: the forest is not fitted; call fit(X) first`);
    return this._state;
  }

  private checkInput(X: Matrix, what: string): IsolationForestState {
    const s = this.requireState(what);
    checkFiniteMatrix(X, `IsolationForest.${what}`);
    if (X.cols !== s.numFeatures) {
      throw new RangeError(`IsolationForest.${what}: input has ${X.cols} columns, the forest was fitted on ${s.numFeatures}`);
    }
    return s;
  }

  private output(rows: number, out: Float64Array | undefined, what: string): Float64Array {
    if (out === undefined) return new Float64Array(rows);
    if (out.length < rows) throw new RangeError(`IsolationForest.${what}: out has ${out.length} slots, need ${rows}`);
    return out;
  }
}

/** Checks a state read from outside (a model file) so that scoring cannot walk out of bounds. */
function checkState(s: IsolationForestState): void {
  const fail = (msg: string): never => {
    throw new Error(`IsolationForest.fromModelParts: inconsistent model: ${msg}`);
  };
  const nodes = s.feature.length;
  if (s.split.length !== nodes || s.left.length !== nodes || s.pathLength.length !== nodes || s.size.length !== nodes) {
    fail('node arrays have different lengths');
  }
  if (s.treeOffsets.length !== s.numTrees + 1 || s.treeOffsets[0] !== 0 || s.treeOffsets[s.numTrees] !== nodes) {
    fail(`treeOffsets must have numTrees + 1 = ${s.numTrees + 1} entries from 0 to ${nodes}`);
  }
  if (!Number.isInteger(s.walkDepth) || s.walkDepth < 0 || s.psi < 1 || s.numFeatures < 1) fail('walkDepth, psi or numFeatures out of range');
  // Children always follow their parent (l > n), so one forward pass gives every node's depth,
  // rules out cycles, and checks that a walk of walkDepth steps reaches every leaf.
  const depth = new Int32Array(nodes).fill(-1);
  for (let t = 0; t < s.numTrees; t++) {
    const lo = s.treeOffsets[t]!;
    const hi = s.treeOffsets[t + 1]!;
    if (!(hi > lo)) fail(`tree ${t} has no nodes`);
    depth[lo] = 0;
    for (let n = lo; n < hi; n++) {
      const l = s.left[n]!;
      const f = s.feature[n]!;
      if (depth[n]! < 0) fail(`node ${n} of tree ${t} is not reachable from its root`);
      if (f < 0 || f >= s.numFeatures) fail(`node ${n} splits on feature ${f} of ${s.numFeatures}`);
      if (l === n) {
        if (s.split[n] !== Infinity) fail(`leaf ${n} must have split +Infinity`);
        if (depth[n]! > s.walkDepth) fail(`leaf ${n} at depth ${depth[n]} is deeper than walkDepth ${s.walkDepth}`);
      } else if (l <= n || l + 1 >= hi) {
        fail(`node ${n} of tree ${t} has child ${l} outside the tree`);
      } else {
        depth[l] = depth[n]! + 1;
        depth[l + 1] = depth[n]! + 1;
      }
    }
  }
}
