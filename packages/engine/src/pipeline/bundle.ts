/**
 * The detector's model bundle: every part of an AnomalyDetector in ONE model file
 * (model/format.ts). JSON-safe state goes into the header, numbers into named
 * arrays with namespaced names:
 *
 *     baseline/{center,scale,hourlyValues}                     standardisation (baseline.ts)
 *     pipeline/globalLast                                    stream-only memory
 *     iforest/<array>                                        the Isolation Forest (toModelParts)
 *     cal/prior/{if,rcf,ens,z}                               global calibration windows (z: the baseline member, zscore.ts)
 *     lazy/rows, lazy/missing                                stream-only rows awaiting the lazy IF fit
 *     seg/<i>/shingle, seg/<i>/cal/{if,rcf,ens,z}, seg/<i>/zwin  each segment's stream state
 * (cal/.../z and zwin were added with the baseline member; files without them load
 * with an empty z calibrator and an empty window.)
 *     seg/<i>/rcf/<array>                                    each segment's RRCF (toState)
 *
 * Header: detector "anomaly-detector", params = config + fitted/threshold/counters,
 * fieldSpec = canonical spec text, calibration = method and threshold, meta = the
 * IF header, the imputer, and per segment its key, counters, alert state and the
 * RRCF's JSON part.
 */
import { decodeModel, encodeModel, ModelFormatError, type ModelArray } from '../model/format.ts';
import type { ImputerState } from '../features/imputer.ts';
import type { IsolationForestModelParts } from '../iforest/isolation-forest.ts';
import type { CalibratorState } from './calibration.ts';
import type { DecisionStateData } from './decision.ts';
import type { ForestState } from './rcf-adapter.ts';
import type { BaselineState } from './baseline.ts';

export const BUNDLE_DETECTOR = 'anomaly-detector';

export interface SegmentBundle {
  readonly key: string;
  readonly forest: ForestState | null;
  readonly shingle: Float64Array;
  readonly filled: number;
  readonly seen: number;
  readonly decision: DecisionStateData;
  readonly calIf: CalibratorState;
  readonly calRcf: CalibratorState;
  readonly calEns: CalibratorState;
  readonly calZ: CalibratorState;
  readonly zWin: Float64Array;
  /** Single-metric stream-only context state (stream-context.ts); empty in models saved before it. */
  readonly ctx: Float64Array;
  readonly imputerLast: readonly (number | null)[] | null;
}

export interface DetectorBundle {
  readonly config: Record<string, unknown>;
  readonly fitted: boolean;
  readonly batchRcf: boolean;
  readonly statsReady: boolean;
  readonly streamOnly: boolean;
  readonly sinceRefit: number;
  readonly thresholdSurprise: number;
  readonly nextAlert: number;
  readonly streamIndex: number;
  readonly baseline: BaselineState;
  readonly globalLast: Float64Array;
  readonly imputer: ImputerState;
  readonly iforest: { header: IsolationForestModelParts['header']; arrays: Record<string, ModelArray> } | null;
  readonly prior: { calIf: CalibratorState; calRcf: CalibratorState; calEns: CalibratorState; calZ: CalibratorState };
  readonly lazy: { rows: Float64Array; missing: Uint8Array; shingles: Float64Array };
  readonly segments: readonly SegmentBundle[];
}

const CAL_METHOD = 'rolling-window empirical CDF + exponential tail (peaks over threshold)';

export function writeBundle(b: DetectorBundle, created?: string): Uint8Array {
  const arrays: Record<string, ModelArray> = {
    'baseline/center': b.baseline.center,
    'baseline/scale': b.baseline.scale,
    'baseline/hourlyValues': b.baseline.hourlyValues,
    'pipeline/globalLast': b.globalLast,
    'cal/prior/if': b.prior.calIf.values,
    'cal/prior/rcf': b.prior.calRcf.values,
    'cal/prior/ens': b.prior.calEns.values,
    'cal/prior/z': b.prior.calZ.values,
    'lazy/rows': b.lazy.rows,
    'lazy/missing': b.lazy.missing,
    'lazy/shingles': b.lazy.shingles,
  };
  if (b.iforest) for (const [name, a] of Object.entries(b.iforest.arrays)) arrays[`iforest/${name}`] = a;
  const segMeta = b.segments.map((s, i) => {
    arrays[`seg/${i}/shingle`] = s.shingle;
    arrays[`seg/${i}/cal/if`] = s.calIf.values;
    arrays[`seg/${i}/cal/rcf`] = s.calRcf.values;
    arrays[`seg/${i}/cal/ens`] = s.calEns.values;
    arrays[`seg/${i}/cal/z`] = s.calZ.values;
    arrays[`seg/${i}/zwin`] = s.zWin;
    arrays[`seg/${i}/ctx`] = s.ctx;
    if (s.forest) for (const [name, a] of Object.entries(s.forest.arrays)) arrays[`seg/${i}/rcf/${name}`] = a;
    return {
      key: s.key,
      filled: s.filled,
      seen: s.seen,
      decision: s.decision,
      forest: s.forest ? s.forest.params : null,
      forestArrays: s.forest ? Object.keys(s.forest.arrays) : [],
      imputerLast: s.imputerLast,
    };
  });
  const calParams = { window: b.prior.calIf.window, tailFraction: b.prior.calIf.tailFraction };
  return encodeModel(
    {
      detector: BUNDLE_DETECTOR,
      params: { config: b.config, fitted: b.fitted, batchRcf: b.batchRcf, statsReady: b.statsReady, streamOnly: b.streamOnly, sinceRefit: b.sinceRefit, thresholdSurprise: b.thresholdSurprise, nextAlert: b.nextAlert, streamIndex: b.streamIndex },
      fieldSpec: b.config['fields'] ?? null,
      calibration: { method: CAL_METHOD, ...calParams, threshold: -Math.expm1(-b.thresholdSurprise) },
      meta: {
        iforest: b.iforest ? b.iforest.header : null,
        iforestArrays: b.iforest ? Object.keys(b.iforest.arrays) : [],
        imputer: b.imputer,
        baselineKeys: b.baseline.keys,
        segments: segMeta,
      },
      ...(created !== undefined ? { created } : {}),
    },
    arrays,
  );
}

export function readBundle(bytes: Uint8Array): DetectorBundle {
  const { header, arrays } = decodeModel(bytes);
  if (header.detector !== BUNDLE_DETECTOR) {
    throw new ModelFormatError(`model file holds a "${header.detector}" model, not an ${BUNDLE_DETECTOR} bundle (load it with that detector's own loader)`);
  }
  const fail = (what: string): never => {
    throw new ModelFormatError(`model bundle is corrupted: ${what}`);
  };
  const arr = <T extends ModelArray>(name: string, type: new (n: number) => T): T => {
    const a = arrays[name];
    if (!(a instanceof type)) fail(`array "${name}" is missing or not a ${type.name}`);
    return a as T;
  };
  const p = header.params as Record<string, unknown>;
  const meta = header.meta as Record<string, unknown>;
  const cal = header.calibration as { window?: unknown; tailFraction?: unknown } | null;
  const window = typeof cal?.window === 'number' ? cal.window : fail('calibration.window missing');
  const tailFraction = typeof cal?.tailFraction === 'number' ? cal.tailFraction : fail('calibration.tailFraction missing');
  const calState = (name: string): CalibratorState => ({ window, tailFraction, values: arr(name, Float64Array) });
  // Parts added later (the baseline member): absent in older files.
  const optCalState = (name: string): CalibratorState => ({ window, tailFraction, values: arrays[name] === undefined ? new Float64Array(0) : arr(name, Float64Array) });
  const num = (v: unknown, what: string): number => (typeof v === 'number' && Number.isFinite(v) ? v : fail(`${what} is not a number`));
  if (typeof p['config'] !== 'object' || p['config'] === null) fail('params.config missing');
  const ifHeader = meta['iforest'] as IsolationForestModelParts['header'] | null;
  const ifNames = (meta['iforestArrays'] as string[] | undefined) ?? [];
  const segments = ((meta['segments'] as Record<string, unknown>[] | undefined) ?? []).map((s, i): SegmentBundle => {
    const forestJson = s['forest'];
    const names = (s['forestArrays'] as string[] | undefined) ?? [];
    return {
      key: String(s['key']),
      forest: forestJson === null || forestJson === undefined ? null : ({ params: forestJson, arrays: Object.fromEntries(names.map((n) => [n, arrays[`seg/${i}/rcf/${n}`] ?? fail(`array seg/${i}/rcf/${n} missing`)])) } as unknown as ForestState),
      shingle: arr(`seg/${i}/shingle`, Float64Array),
      filled: num(s['filled'], `segment ${i} filled`),
      seen: num(s['seen'], `segment ${i} seen`),
      decision: s['decision'] as DecisionStateData,
      calIf: calState(`seg/${i}/cal/if`),
      calRcf: calState(`seg/${i}/cal/rcf`),
      calEns: calState(`seg/${i}/cal/ens`),
      calZ: optCalState(`seg/${i}/cal/z`),
      zWin: arrays[`seg/${i}/zwin`] === undefined ? new Float64Array(0) : arr(`seg/${i}/zwin`, Float64Array),
      ctx: arrays[`seg/${i}/ctx`] === undefined ? new Float64Array(0) : arr(`seg/${i}/ctx`, Float64Array),
      imputerLast: (s['imputerLast'] as (number | null)[] | null) ?? null,
    };
  });
  return {
    config: p['config'] as Record<string, unknown>,
    fitted: p['fitted'] === true,
    batchRcf: p['batchRcf'] === true,
    statsReady: p['statsReady'] === true,
    streamOnly: p['streamOnly'] === true,
    sinceRefit: typeof p['sinceRefit'] === 'number' ? p['sinceRefit'] : 0,
    thresholdSurprise: num(p['thresholdSurprise'], 'params.thresholdSurprise'),
    nextAlert: num(p['nextAlert'], 'params.nextAlert'),
    streamIndex: num(p['streamIndex'], 'params.streamIndex'),
    baseline: {
      center: arr('baseline/center', Float64Array),
      scale: arr('baseline/scale', Float64Array),
      hourlyValues: arr('baseline/hourlyValues', Float64Array),
      keys: ((meta['baselineKeys'] as unknown[] | undefined) ?? []).map(String),
    },
    globalLast: arr('pipeline/globalLast', Float64Array),
    imputer: meta['imputer'] as ImputerState,
    iforest: ifHeader ? { header: ifHeader, arrays: Object.fromEntries(ifNames.map((n) => [n, arrays[`iforest/${n}`] ?? fail(`array iforest/${n} missing`)])) } : null,
    prior: { calIf: calState('cal/prior/if'), calRcf: calState('cal/prior/rcf'), calEns: calState('cal/prior/ens'), calZ: optCalState('cal/prior/z') },
    lazy: { rows: arr('lazy/rows', Float64Array), missing: arr('lazy/missing', Uint8Array), shingles: arr('lazy/shingles', Float64Array) },
    segments,
  };
}
