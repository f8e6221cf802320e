/**
 * The worker's whole program as one function of its endpoint, for the single-file IIFE:
 * rollup.config.mjs bundles this module into `workerMain(endpoint)` inside the IIFE, starts
 * the Blob-URL worker from `'(' + workerMain.toString() + ')(self)'`, and the page side calls
 * `workerMain(null)` once for the EngineService class (in-process fallback) and for the
 * modules both sides use (`shared`), so the engine and those modules ship once.
 * (engine.worker.ts is the module-worker entry of the ESM build and the dev servers.)
 */
import * as comlink from 'comlink';
import * as idb from 'idb-keyval';
import * as kvStore from '../cache/kv-store.ts';
import * as columns from './columns.ts';
import * as fields from './fields.ts';
import * as protocol from './protocol.ts';
import { EngineService } from './engine-service.ts';
import { WorkerEndpoint } from './worker-endpoint.ts';

/**
 * Modules the page side of the IIFE takes from here instead of carrying a second copy
 * (rollup.config.mjs maps the page side's imports of them onto these namespaces; the keys
 * are the names it uses).
 */
export const shared = {
  // Only what the page side imports from these packages (the names are listed in rollup.config.mjs too).
  comlink: { wrap: comlink.wrap, proxy: comlink.proxy, transfer: comlink.transfer, releaseProxy: comlink.releaseProxy },
  'idb-keyval': { get: idb.get, set: idb.set },
  'kv-store': kvStore,
  columns,
  fields,
  protocol,
};

export interface WorkerMainExports {
  readonly EngineService: typeof EngineService;
  readonly shared: typeof shared;
}

/** Exposes a worker-mode EngineService on `endpoint` (when given); returns what the page side uses. */
export function start(endpoint: comlink.Endpoint | null): WorkerMainExports {
  if (endpoint) comlink.expose(new WorkerEndpoint(new EngineService('worker')), endpoint);
  return { EngineService, shared };
}
