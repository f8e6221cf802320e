/**
 * Starts the engine: a worker if any kind can start here, else in-process.
 *
 * Order tried: the host's `workerUrl` (a same-origin file, for strict CSPs) as a
 * module worker ('url-worker'); the build's own worker file ('module-worker', ESM
 * build); the build's inlined worker source from a Blob URL ('blob-worker', IIFE
 * build). Each must answer the handshake. When none does, the engine runs on the
 * main thread ('in-process') and `onWarning(..., 'worker-unavailable')` says why.
 */
import { inlineWorkerSource as builtInlineSource, workerUrl as builtWorkerUrl } from 'cx:engine-worker';
import type { EngineClient, EngineClientOptions } from './types.ts';
import { WorkerEngineClient, WorkerHandle, type WorkerFactory } from './worker-client.ts';

/** Where workers come from; tests replace parts of it. */
export interface EngineEnvironment {
  /** The Worker constructor (undefined where there is none). */
  readonly Worker: typeof Worker | undefined;
  /** The build's module-worker URL (ESM build, dev servers). */
  readonly workerUrl: string | null;
  /** The build's worker as one classic script (IIFE build). */
  readonly inlineWorkerSource: string | null;
}

export function defaultEnvironment(): EngineEnvironment {
  return {
    Worker: typeof Worker === 'function' ? Worker : undefined,
    workerUrl: builtWorkerUrl,
    inlineWorkerSource: builtInlineSource,
  };
}

/** The worker kinds to try, in order. */
export function workerFactories(options: EngineClientOptions, env: EngineEnvironment): WorkerFactory[] {
  const W = env.Worker;
  if (!W) return [];
  const out: WorkerFactory[] = [];
  if (options.workerUrl) {
    const url = options.workerUrl;
    out.push({ mode: 'url-worker', create: () => new W(url, { type: 'module', name: 'cx-anomaly-engine' }) });
  }
  if (env.workerUrl) {
    const url = env.workerUrl;
    out.push({ mode: 'module-worker', create: () => new W(url, { type: 'module', name: 'cx-anomaly-engine' }) });
  }
  if (env.inlineWorkerSource) {
    const source = env.inlineWorkerSource;
    let url: string | null = null;
    out.push({
      mode: 'blob-worker',
      create: () => {
        url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
        return new W(url, { name: 'cx-anomaly-engine' });
      },
      cleanup: () => {
        if (url) URL.revokeObjectURL(url);
        url = null;
      },
    });
  }
  return out;
}

export async function createEngineClient(options: EngineClientOptions = {}, environment: Partial<EngineEnvironment> = {}): Promise<EngineClient> {
  const env: EngineEnvironment = { ...defaultEnvironment(), ...environment };
  const init = { backend: options.backend ?? 'auto', cache: options.cache ?? true };
  const reasons: string[] = [];
  if (!env.Worker) reasons.push('this page has no Worker constructor');
  for (const factory of workerFactories(options, env)) {
    try {
      const handle = await WorkerHandle.start(factory, init, options.onWarning ?? null, options.startTimeoutMs ?? 20000);
      return new WorkerEngineClient(factory, handle, options);
    } catch (e) {
      reasons.push((e as Error).message);
    }
  }
  if (reasons.length === 0) reasons.push('this build has no worker');
  options.onWarning?.(`The engine worker could not start (${reasons.join('; ')}); the engine runs on the main thread, which may make the page less responsive with large data`, 'worker-unavailable');
  // Loaded only when needed: the ESM build keeps the main-thread engine in its own chunk.
  const { InProcessEngineClient } = await import('./in-process-client.ts');
  return InProcessEngineClient.create(options);
}
