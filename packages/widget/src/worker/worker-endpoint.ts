/**
 * The object the worker exposes: the service's methods, with every large result
 * handed over with Comlink.transfer (moved to the main thread, not copied).
 */
import { releaseProxy, transfer } from 'comlink';
import type { DetectorConfig, IsolationForestState } from '@cx-anomaly/engine';
import type { PathBackend, ProbeResult } from './accel-choice.ts';
import type { EngineBackend } from '../engine-client/types.ts';
import type { EngineService } from './engine-service.ts';
import { resultBuffers, type EngineServiceApi, type PathLengthRun, type ProgressSink, type RecordBatch, type ResultColumns, type ServiceInfo, type ServiceInit, type WarningSink, type WorkerTrainResult } from './protocol.ts';

/** A byte array that owns its whole buffer (so transferring it cannot detach anyone else's data). */
export function ownBytes(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice();
}

/** Closes the message port of a Comlink-proxied callback once its job is over. */
function release(sink: ProgressSink | null): void {
  const r = (sink as unknown as { [releaseProxy]?: () => void } | null)?.[releaseProxy];
  if (typeof r === 'function') r.call(sink);
}

export class WorkerEndpoint implements EngineServiceApi {
  constructor(private readonly service: EngineService) {}

  hello(init: ServiceInit, lockName: string | null, onWarning: WarningSink | null): Promise<ServiceInfo> {
    return this.service.hello(init, lockName, onWarning);
  }

  async train(jobId: number, batch: RecordBatch, config: DetectorConfig, onProgress: ProgressSink | null): Promise<WorkerTrainResult> {
    const r = await this.service.train(jobId, batch, config, onProgress).finally(() => release(onProgress));
    const model = ownBytes(r.model);
    return transfer({ ...r, model }, [model.buffer as ArrayBuffer]);
  }

  async score(jobId: number, batch: RecordBatch, onProgress: ProgressSink | null): Promise<ResultColumns> {
    const cols = await this.service.score(jobId, batch, onProgress).finally(() => release(onProgress));
    return transfer(cols, resultBuffers(cols));
  }

  async update(jobId: number, batch: RecordBatch, onProgress: ProgressSink | null): Promise<ResultColumns> {
    const cols = await this.service.update(jobId, batch, onProgress).finally(() => release(onProgress));
    return transfer(cols, resultBuffers(cols));
  }

  async exportModel(): Promise<Uint8Array> {
    const bytes = ownBytes(await this.service.exportModel());
    return transfer(bytes, [bytes.buffer as ArrayBuffer]);
  }

  importModel(bytes: Uint8Array): Promise<string[]> {
    return this.service.importModel(bytes);
  }

  cancel(jobId: number): void {
    this.service.cancel(jobId);
  }

  setBackend(backend: EngineBackend): Promise<void> {
    return this.service.setBackend(backend);
  }

  async pathLengthSums(backend: EngineBackend | 'gather', state: IsolationForestState, data: Float64Array, rows: number, cols: number): Promise<PathLengthRun> {
    const r = await this.service.pathLengthSums(backend, state, data, rows, cols);
    return transfer(r, [r.sums.buffer as ArrayBuffer]);
  }

  probeAccel(force: boolean): Promise<ProbeResult> {
    return this.service.probeAccel(force);
  }

  lastScoreBackendUsed(): Promise<PathBackend | null> {
    return this.service.lastScoreBackendUsed();
  }

  crashForTesting(how: 'close' | 'throw'): void {
    this.service.crashForTesting(how);
  }
}
