// No shebang here: the build adds it as rollup's banner (two would be a syntax error in dist/cli.js).
/**
 * `cx-anomaly`: train, score, evaluate and generate data from the command line.
 *
 * Errors: bad input (missing file, bad field spec, absent column, non-numeric
 * value, corrupted model, unknown option) exits 2 with ONE line on stderr,
 * `cx-anomaly: error: ...`. Anything else is a bug: exit 1, the message, and
 * the stack trace only with CX_DEBUG=1.
 */
import { CliError, isUserError, oneLine } from './errors.ts';
import { withCliIo, writeErr, writeOut, type CliIo } from './io.ts';
import { isMainThread } from 'node:worker_threads';

const HELP = `Usage: cx-anomaly <command> [options]

Anomaly detection for contact-centre CX metrics (Isolation Forest + Robust Random Cut Forest).

Commands:
  train      fit a model on a CSV file and save it (.cxm)
  score      score a CSV file (with a saved model, or fitting on the file itself; --threads N for worker
             threads, --stream for streaming)
  eval       benchmarks: "eval odds" (ODDS outlier sets), "eval nab" (Numenta Anomaly Benchmark)
  generate   write a synthetic contact-centre data set with labelled incidents

Run "cx-anomaly <command> --help" for a command's options.
Environment: CX_DEBUG=1 prints stack traces of internal errors; CX_DATA_DIR overrides the benchmark data folder.`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      writeOut(HELP + '\n');
      return command === undefined ? 2 : 0;
    case '--version':
    case '-v': {
      const { ENGINE_VERSION } = await import('../version.ts');
      writeOut(ENGINE_VERSION + '\n');
      return 0;
    }
    case 'generate':
      return (await import('./commands/generate.ts')).runGenerate(rest);
    case 'train':
      return (await import('./commands/train.ts')).runTrain(rest);
    case 'score':
      return (await import('./commands/score.ts')).runScore(rest);
    case 'eval':
      return (await import('./commands/eval.ts')).runEval(rest);
    default:
      throw new CliError(`unknown command "${command}"; expected train, score, eval or generate (see cx-anomaly --help)`);
  }
}

/** Runs the CLI and turns errors into the exit status and one stderr line; `io` redirects its output (tests). */
export async function run(argv: readonly string[], io?: CliIo): Promise<number> {
  if (io !== undefined) return withCliIo(io, () => run(argv));
  try {
    return await main(argv);
  } catch (e) {
    const debug = process.env['CX_DEBUG'] === '1';
    if (isUserError(e)) {
      writeErr(`cx-anomaly: error: ${oneLine(e.message)}\n`);
      if (debug && e.stack) writeErr(e.stack + '\n');
      return 2;
    }
    const message = e instanceof Error ? e.message : String(e);
    writeErr(`cx-anomaly: internal error: ${oneLine(message)}${debug ? '' : ' (set CX_DEBUG=1 for details)'}\n`);
    if (debug && e instanceof Error && e.stack) writeErr(e.stack + '\n');
    return 1;
  }
}

// Started as a program (not imported by a test): run and exit with the status. Not in
// a worker thread: the build's score workers start this same file (see score-worker.ts),
// and a worker sees the process's argv.
const entry = process.argv[1];
if (isMainThread && entry !== undefined && /(?:main\.[cm]?[jt]s|cli\.[cm]?js|cx-anomaly)$/.test(entry)) {
  // A closed stdout (e.g. `| head`) is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`cx-anomaly: internal error: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
