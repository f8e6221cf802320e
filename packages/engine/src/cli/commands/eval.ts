/** `cx-anomaly eval odds|nab`: the benchmarks. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Matrix } from '../../matrix.ts';
import type { DetectorKind } from '../../pipeline/types.ts';
import { listOpt, parseCommandArgs, str } from '../args.ts';
import { CliError } from '../errors.ts';
import { cliIo, writeErr, writeOut } from '../io.ts';

export const EVAL_HELP = `Usage: cx-anomaly eval odds [options]
       cx-anomaly eval nab [options]     (see cx-anomaly eval nab --help)

odds: fits each detector on all rows of each ODDS data set, scores the same rows,
and reports AUC-ROC and average precision beside scikit-learn's IsolationForest.

Options (odds):
  --data DIR          benchmark data folder holding odds/ and reference/ (default: $CX_DATA_DIR,
                      else ../shared/data next to the repository)
  --out FILE          Markdown report to write (default docs/results/odds.md; "-" for stdout only)
  --seeds LIST        comma-separated seeds (default 0,1,2,3,4)
  --datasets LIST     only these data sets (file names without .csv)
  --detectors LIST    iforest, rcf, ensemble (default iforest)
  -h, --help          this help

Exit status 1 when a data set falls outside the tolerance of the scikit-learn reference.`;

/** `$CX_DATA_DIR`, else the first `<ancestor>/../shared/data` (or `<ancestor>/shared/data`) above the working folder or this file. */
export function resolveDataDir(explicit?: string): string {
  if (explicit !== undefined && explicit !== '') return resolve(explicit);
  const env = process.env['CX_DATA_DIR'];
  if (env !== undefined && env !== '') return resolve(env);
  const starts = [process.cwd(), dirname(fileURLToPath(import.meta.url))];
  for (const start of starts) {
    let dir = resolve(start);
    for (;;) {
      for (const cand of [resolve(dir, '..', 'shared', 'data'), resolve(dir, 'shared', 'data')]) {
        if (existsSync(resolve(cand, 'odds')) || existsSync(resolve(cand, 'nab'))) return cand;
      }
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new CliError('benchmark data folder not found: pass --data DIR or set CX_DATA_DIR');
}

export async function runEval(argv: readonly string[]): Promise<number> {
  const [suite, ...rest] = argv;
  if (suite === undefined || suite === '-h' || suite === '--help') {
    writeOut(EVAL_HELP + '\n');
    return suite === undefined ? 2 : 0;
  }
  if (suite === 'nab') {
    const { runNabCli } = await import('../../nab/node-cli.ts');
    return runNabCli(rest);
  }
  if (suite !== 'odds') throw new CliError(`unknown benchmark "${suite}"; expected "odds" or "nab"`);
  return runOdds(rest);
}

/** ODDS detectors run through the pipeline (fields f0..f{d-1}, no time: batch RRCF). */
function pipelineOddsDetector(kind: DetectorKind) {
  return async (X: Matrix, seed: number): Promise<Float64Array> => {
    const { AnomalyDetector } = await import('../../pipeline/anomaly-detector.ts');
    const fields = Array.from({ length: X.cols }, (_, j) => `f${j}`).join(',');
    const det = new AnomalyDetector({ fields, detector: kind, seed, numTrees: 100, sampleSize: 256 });
    det.fitMatrix({ matrix: X });
    return det.scoreMatrix({ matrix: X }).score;
  };
}

async function runOdds(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('eval odds', argv, {
    data: { type: 'string' },
    out: { type: 'string', short: 'o' },
    seeds: { type: 'string' },
    datasets: { type: 'string' },
    detectors: { type: 'string' },
  });
  if (values['help']) {
    writeOut(EVAL_HELP + '\n');
    return 0;
  }
  const seeds = listOpt(values, 'seeds').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new CliError(`--seeds must be comma-separated integers >= 0, got "${str(values, 'seeds')}"`);
    return n;
  });
  const detectors = listOpt(values, 'detectors');
  for (const d of detectors) {
    if (!['iforest', 'rcf', 'ensemble'].includes(d)) throw new CliError(`--detectors: unknown detector "${d}"; expected iforest, rcf, ensemble`);
  }
  const datasets = listOpt(values, 'datasets');
  const dataDir = resolveDataDir(str(values, 'data'));
  if (!existsSync(resolve(dataDir, 'odds'))) throw new CliError(`no odds/ folder in ${dataDir}`);
  const { evalOdds, renderOddsMarkdown } = await import('../../eval/odds.ts');
  const t0 = performance.now();
  const tty = cliIo().stderr.isTTY === true;
  let report;
  try {
    report = await evalOdds({
      dataDir,
      ...(seeds.length > 0 ? { seeds } : {}),
      ...(detectors.length > 0 ? { detectors } : {}),
      ...(datasets.length > 0 ? { datasets } : {}),
      extraDetectors: { rcf: pipelineOddsDetector('rcf'), ensemble: pipelineOddsDetector('ensemble') },
      onProgress: (p) => {
        if (tty) writeErr(`\r${p.done}/${p.total} ${p.dataset} ${p.detector} seed ${p.seed}      `);
      },
    });
  } catch (e) {
    // evalOdds reports bad data sets, folders and names as plain Errors starting with "evalOdds:".
    if (e instanceof Error && e.message.startsWith('evalOdds:')) throw new CliError(e.message.replace(/^evalOdds:\s*/, 'eval odds: '));
    throw e;
  }
  if (tty) writeErr('\r\x1b[2K');
  const table = renderOddsMarkdown(report);
  writeOut(table + '\n');
  const out = str(values, 'out') ?? 'docs/results/odds.md';
  if (out !== '-') {
    const secs = ((performance.now() - t0) / 1000).toFixed(0);
    const text =
      `# ODDS evaluation\n\n` +
      `Generated by \`${['cx-anomaly eval odds', ...argv].join(' ')}\` (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${secs} s in all).\n\n` +
      `Protocol (as scikit-learn's reference run and Liu, Ting & Zhou 2008): 100 trees, 256 samples per tree, fit on all rows, ` +
      `score all rows; AUC-ROC and average precision against the ODDS labels. sklearn columns: scikit-learn 1.2.1 ` +
      `IsolationForest from \`reference/sklearn_iforest_odds.csv\` (same kind of machine).\n\n${table}\n`;
    try {
      mkdirSync(dirname(resolve(out)), { recursive: true });
      writeFileSync(out, text);
    } catch (e) {
      throw new CliError(`cannot write ${out}: ${(e as Error).message}`);
    }
    writeErr(`wrote ${out}\n`);
  }
  return report.allPass ? 0 : 1;
}
