/**
 * Argument parsing on top of node:util parseArgs: strict options, a short
 * message for unknown options, and typed number readers whose errors name the
 * option and the value.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './errors.ts';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

export function parseCommandArgs(command: string, argv: readonly string[], options: OptionSpec, allowPositionals = false): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals });
    return { values: values as Values, positionals };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      const msg = (e as Error).message;
      const unknown = /Unknown option '([^']+)'/.exec(msg);
      if (unknown) throw new CliError(`unknown option ${unknown[1]} for "${command}" (see cx-anomaly ${command} --help)`);
      const pos = /Unexpected argument '([^']+)'/.exec(msg);
      if (pos) throw new CliError(`unexpected argument "${pos[1]}" for "${command}" (see cx-anomaly ${command} --help)`);
      // parseArgs takes "--seed -1" for an option without its value followed by an option "-1";
      // its hint (write --seed=-XYZ) is on a later line of its message, which one line would drop.
      const ambiguous = /Option '([^']+)' argument is ambiguous/.exec(msg);
      if (ambiguous) {
        const opt = ambiguous[1]!.split(' ')[0]!;
        const value = argv[argv.indexOf(opt) + 1];
        throw new CliError(`${command}: the value after ${opt} starts with "-"${value !== undefined ? ` ("${value}")` : ''}: write it as ${opt}=${value ?? 'VALUE'}`);
      }
      throw new CliError(`${command}: ${msg.split('\n')[0]}`);
    }
    throw e;
  }
}

export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function required(values: Values, name: string, command: string): string {
  const v = str(values, name);
  if (v === undefined || v === '') throw new CliError(`${command}: --${name} is required (see cx-anomaly ${command} --help)`);
  return v;
}

export function intOpt(values: Values, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new CliError(`--${name} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}], got "${v}"`);
  }
  return n;
}

export function numOpt(values: Values, name: string, check: (n: number) => boolean, expected: string): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !check(n)) throw new CliError(`--${name} must be ${expected}, got "${v}"`);
  return n;
}

export function listOpt(values: Values, name: string): string[] {
  const v = str(values, name);
  if (v === undefined) return [];
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
