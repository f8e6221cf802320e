/**
 * The worker's whole program as one function of its endpoint, for the single-file IIFE:
 * rollup.config.mjs bundles this module into `workerMain(endpoint)` inside the IIFE, starts
 * the Blob-URL worker from `'(' + workerMain.toString() + ')(self)'`, and the in-process
 * fallback calls `workerMain(null)` for the EngineService class, so the engine ships once.
 * (engine.worker.ts is the module-worker entry of the ESM build and the dev servers.)
 */
import { expose, type Endpoint } from 'comlink';
import { EngineService } from './engine-service.ts';
import { WorkerEndpoint } from './worker-endpoint.ts';

export interface WorkerMainExports {
  readonly EngineService: typeof EngineService;
}

/** Exposes a worker-mode EngineService on `endpoint` (when given); returns the service class. */
export function start(endpoint: Endpoint | null): WorkerMainExports {
  if (endpoint) expose(new WorkerEndpoint(new EngineService('worker')), endpoint);
  return { EngineService };
}
