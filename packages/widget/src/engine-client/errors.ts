/** The worker died while running a job (terminated, out of memory, uncaught error). The next call restarts it. */
export class EngineCrashedError extends Error {
  override name = 'EngineCrashedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A worker mode could not start (constructor threw, CSP blocked it, no handshake in time). */
export class EngineStartError extends Error {
  override name = 'EngineStartError';
}

/** A job cancelled through its AbortSignal. */
export function abortError(signal: AbortSignal | undefined, what: string): Error {
  const reason = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const e = new Error(`${what} cancelled${reason !== undefined ? `: ${String(reason instanceof Error ? reason.message : reason)}` : ''}`);
  e.name = 'AbortError';
  return e;
}
