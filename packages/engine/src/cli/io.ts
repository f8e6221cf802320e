/**
 * Where the CLI writes. The process's stdout/stderr by default; tests that run
 * `run(argv, io)` in-process pass their own streams (the test runner itself
 * talks to its parent over the process's stdout, so that must stay untouched).
 */
import type { Writable } from 'node:stream';

export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
}

let current: CliIo | undefined;

export function cliIo(): CliIo {
  return current ?? { stdout: process.stdout, stderr: process.stderr };
}

/** Runs `fn` with the CLI writing to `io`. Not re-entrant: one in-process run at a time. */
export async function withCliIo<T>(io: CliIo, fn: () => Promise<T>): Promise<T> {
  const before = current;
  current = io;
  try {
    return await fn();
  } finally {
    current = before;
  }
}

export function writeOut(text: string): void {
  cliIo().stdout.write(text);
}

export function writeErr(text: string): void {
  cliIo().stderr.write(text);
}
