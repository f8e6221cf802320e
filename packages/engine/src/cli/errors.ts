/**
 * Which errors are the user's (bad input: printed as one line, exit 2... or 1)
 * and which are bugs (stack trace only with CX_DEBUG=1).
 */
export class CliError extends Error {
  override name = 'CliError';
}

/**
 * Error classes raised by the engine for bad input. Matched by name so the CLI
 * does not import every module (and keeps working while modules change).
 */
const USER_ERROR_NAMES = new Set([
  'CliError',
  'CsvError',
  'RecordError',
  'FieldSpecError',
  'TimeParseError',
  'ConfigError',
  'ModelFormatError',
]);

/** Node system errors that come from the user's paths. */
const USER_ERRNO = new Set(['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR', 'EEXIST', 'EPERM', 'EROFS', 'ENOSPC']);

export function isUserError(e: unknown): e is Error {
  if (!(e instanceof Error)) return false;
  if (USER_ERROR_NAMES.has(e.name)) return true;
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && (USER_ERRNO.has(code) || code.startsWith('ERR_PARSE_ARGS'))) return true;
  return false;
}

/** One line: newlines inside a message would break "one clear line on stderr". */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
