/**
 * The engine worker: exposes an {@link EngineService} through Comlink. Built as a
 * module worker file (ESM build: dist/engine.worker.js, the file a strict-CSP host
 * names in `worker-url`) and as a classic script inlined in the IIFE (Blob URL).
 * tfjs is never imported here up front: the accelerated kernels load it lazily.
 */
import { expose } from 'comlink';
import { EngineService } from './engine-service.ts';
import { WorkerEndpoint } from './worker-endpoint.ts';

expose(new WorkerEndpoint(new EngineService('worker')));
