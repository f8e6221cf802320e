/**
 * `cx-anomaly eval nab`: the Node entry the CLI calls. Parses its own
 * arguments, prints the scoreboard (Markdown) to stdout, progress to stderr,
 * and returns the exit code (0 ok, 1 failure, 2 bad usage).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { evalNab } from './eval.ts';
import { resolveNabDataDir } from './io.ts';
import { clearNabDetectorCache, createNabDetector, nabDetectorHelp, type NabDetectorOptions } from './registry.ts';

export const NAB_CLI_USAGE = `Usage: cx-anomaly eval nab [options]

Runs detectors on the Numenta Anomaly Benchmark (58 series, streaming), scores
them with NAB's scorer (standard, reward_low_FP_rate, reward_low_FN_rate) and
prints them beside the published scoreboard.

Options:
  --data DIR            NAB data directory (default ../shared/data/nab from the
                        repo root, or $CX_DATA_DIR/nab)
  --results-dir DIR     write NAB result files <DIR>/<detector>/<category>/<detector>_<file>.csv
  --detector NAME       detector to run; repeat or comma-separate (default: ensemble
                        when available, else gaussian); "none" only re-scores the
                        published detectors
  --files LIST          comma-separated data files (category/file.csv) to run on
  --trees N, --sample-size N, --shingle N, --seed N   forest parameters for the adapters
  --out FILE            also write the Markdown table to FILE
  --json                print a JSON summary instead of Markdown
  --no-published        do not re-score the published detectors
  --quiet               no progress on stderr
  -h, --help            this help

Detectors:
`;

export interface NabCliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const defaultIo: NabCliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

class UsageError extends Error {
  override name = 'UsageError';
}

export async function runNabCli(args: readonly string[], io: NabCliIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: false,
      options: {
        data: { type: 'string' },
        'results-dir': { type: 'string' },
        detector: { type: 'string', multiple: true },
        files: { type: 'string' },
        trees: { type: 'string' },
        'sample-size': { type: 'string' },
        shingle: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean' },
        'no-published': { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    io.stderr(`eval nab: ${(e as Error).message}\n${NAB_CLI_USAGE}${nabDetectorHelp()}\n`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    io.stdout(`${NAB_CLI_USAGE}${nabDetectorHelp()}\n`);
    return 0;
  }
  try {
    await loadAdapters(io, !v.quiet);
    const options: NabDetectorOptions = {
      numTrees: positiveInt('trees', v.trees),
      sampleSize: positiveInt('sample-size', v['sample-size']),
      shingleSize: positiveInt('shingle', v.shingle),
      seed: v.seed === undefined ? undefined : Number.isInteger(Number(v.seed)) ? Number(v.seed) : (() => { throw new UsageError(`--seed must be an integer, got ${JSON.stringify(v.seed)}`); })(),
    };
    const names = (v.detector ?? [defaultDetector()]).flatMap((d) => d.split(',')).map((d) => d.trim()).filter((d) => d !== '' && d !== 'none');
    const detectors = Object.fromEntries(names.map((n) => [n, createNabDetector(n, options)]));
    // A post-processed variant reuses its base's outputs when the base ran before it.
    const notes: Record<string, string> = {};
    names.forEach((n, k) => {
      const base = n.split('+')[0]!;
      if (n !== base && names.slice(0, k).some((m) => m.split('+')[0] === base)) notes[n] = `time: post-processing only (${base} outputs reused)`;
    });
    const files = v.files?.split(',').map((f) => f.trim()).filter((f) => f !== '');
    const report = await evalNab({
      dataDir: resolveNabDataDir(v.data),
      resultsDir: v['results-dir'],
      detectors,
      files,
      reproducePublished: !v['no-published'],
      notes,
      onProgress: v.quiet
        ? undefined
        : (p) => {
            if (p.done % 10 === 0 || p.done === p.total) io.stderr(`${p.detector}: ${p.done}/${p.total} series, ${p.seconds.toFixed(1)} s\n`);
          },
    });
    clearNabDetectorCache();
    if (v.out !== undefined) writeFileSync(v.out, report.markdown);
    if (v.json) {
      const summary = {
        files: report.files,
        rows: report.rows,
        detectors: Object.fromEntries(
          Object.entries(report.detectors).map(([n, d]) => [
            n,
            {
              seconds: d.seconds,
              points: d.points,
              pointsPerSecond: d.pointsPerSecond,
              profiles: Object.fromEntries(Object.entries(d.scores).map(([p, s]) => [p, { normalized: s.normalizedScore, raw: s.rawScore, threshold: s.threshold, tp: s.tp, fp: s.fp, fn: s.fn, tn: s.tn }])),
            },
          ]),
        ),
      };
      io.stdout(JSON.stringify(summary, null, 2) + '\n');
    } else {
      io.stdout(report.markdown);
    }
    return 0;
  } catch (e) {
    clearNabDetectorCache();
    const err = e as Error;
    const user = err.name === 'NabError' || err.name === 'UsageError' || err.name === 'ConfigError' || typeof (err as NodeJS.ErrnoException).code === 'string';
    io.stderr(`eval nab: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`);
    if (!user && process.env['CX_DEBUG'] === '1') io.stderr(`${err.stack}\n`);
    return err.name === 'UsageError' ? 2 : 1;
  }
}

let adaptersLoaded = false;

/**
 * The engine adapters (forest, pipeline) load on demand, so a module that is
 * mid-change elsewhere in the engine cannot take the baseline and the
 * re-scoring of published detectors down with it.
 */
async function loadAdapters(io: NabCliIo, verbose: boolean): Promise<void> {
  if (adaptersLoaded) return;
  try {
    await import('./adapters.ts');
    adaptersLoaded = true;
  } catch (e) {
    if (verbose) io.stderr(`eval nab: engine detectors unavailable (${(e as Error).message.split('\n')[0]}); only the baseline can run\n`);
  }
}

function defaultDetector(): string {
  try {
    createNabDetector('ensemble');
    return 'ensemble';
  } catch {
    return 'gaussian';
  }
}
