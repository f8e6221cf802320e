/**
 * The worker side of `cx-anomaly score --threads N`: loads the model once
 * (`AnomalyDetector.load`), then scores each batch it is sent with the same
 * `scoreBatch` as the main thread, and answers with the output text. Batch
 * scoring changes no state, so the workers are independent of each other and of
 * the order in which they get batches.
 *
 * This module starts its loop by itself when it is loaded as a worker with
 * SCORE_WORKER_TAG in its workerData. Its own URL (SCORE_WORKER_URL) is what the
 * pool starts: this .ts file when running from source, and the bundled
 * dist/cli.js (where this module is inlined) in the build; main.ts only runs the
 * CLI on the main thread.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { AnomalyDetector } from '../pipeline/anomaly-detector.ts';
import type { CsvBatch } from './csv-file.ts';
import type { InputPlan } from './input.ts';
import { scoreBatch, type ScoreFormat } from './score-batch.ts';

export const SCORE_WORKER_TAG = 'cx-anomaly:score-worker';
export const SCORE_WORKER_URL: string = import.meta.url;

export interface ScoreWorkerData {
  readonly tag: typeof SCORE_WORKER_TAG;
  readonly model: Uint8Array;
  readonly plan: InputPlan;
  readonly format: ScoreFormat;
}

/** main -> worker: one batch (rows with the context rows first) and how many context rows to skip. */
export interface ScoreJob {
  readonly id: number;
  readonly rows: string[][];
  readonly lines: number[];
  readonly rowOffset: number;
  readonly skip: number;
}

/** An error as it crosses the thread boundary (name kept: it decides user error vs bug). */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  readonly code?: string | undefined;
}

/** worker -> main. id -1: the worker could not start (the model did not load). */
export type ScoreReply = { readonly id: number; readonly text: string; readonly anomalies: number } | { readonly id: number; readonly error: WireError };

export function toWire(e: unknown): WireError {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return { name: e.name, message: e.message, stack: e.stack, code: typeof code === 'string' ? code : undefined };
  }
  return { name: 'Error', message: String(e) };
}

export function fromWire(w: WireError): Error {
  const e = new Error(w.message);
  e.name = w.name;
  if (w.stack !== undefined) e.stack = w.stack;
  if (w.code !== undefined) (e as NodeJS.ErrnoException).code = w.code;
  return e;
}

function workerLoop(data: ScoreWorkerData): void {
  const port = parentPort!;
  let detector: AnomalyDetector;
  try {
    detector = AnomalyDetector.load(data.model);
  } catch (e) {
    port.postMessage({ id: -1, error: toWire(e) } satisfies ScoreReply);
    return;
  }
  const { plan, format } = data;
  port.on('message', (job: ScoreJob) => {
    let reply: ScoreReply;
    try {
      const work: CsvBatch = { header: plan.header, rows: job.rows, lines: job.lines, rowOffset: job.rowOffset, bytesRead: 0, totalBytes: 0 };
      const out = scoreBatch(detector, plan, work, job.skip, format, false);
      reply = { id: job.id, text: out.text, anomalies: out.anomalies };
    } catch (e) {
      reply = { id: job.id, error: toWire(e) };
    }
    port.postMessage(reply);
  });
}

if (!isMainThread && (workerData as Partial<ScoreWorkerData> | null)?.tag === SCORE_WORKER_TAG) {
  workerLoop(workerData as ScoreWorkerData);
}
