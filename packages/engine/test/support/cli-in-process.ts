// Runs the CLI's `run` in this process, writing to in-memory streams: a subprocess costs ~1 s of
// tsx start-up per call. Shared by the CLI test files. Await each call (not re-entrant).
import { Writable } from 'node:stream';
import { run } from '../../src/cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliInProcess(args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        add(String(chunk));
        cb();
      },
    });
  const code = await run(args, { stdout: sink((t) => (stdout += t)), stderr: sink((t) => (stderr += t)) });
  return { code, stdout, stderr };
}
