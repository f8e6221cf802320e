/**
 * Builds the server: store, model, scoring pipeline, SSE hub, replay, routes.
 *
 *     const server = await createServer(loadConfig());
 *     const url = await server.listen();   // the model trains in a worker meanwhile
 *     ...
 *     await server.close();
 */
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { ServerConfig } from './config.ts';
import { parseFieldSpec } from './engine.ts';
import { SseHub } from './hub.ts';
import { Metrics } from './metrics.ts';
import { ModelManager } from './model.ts';
import { ScoringPipeline } from './pipeline.ts';
import { BadRequest, checkRecords, registerBodyParsers, type CheckedRecord } from './records.ts';
import { Rollup, ROLLUP_METRICS, type RollupPlan } from './rollup.ts';
import { Replay } from './replay.ts';
import { Store, type IngestOutcome } from './store.ts';
import { bearerGuard } from './auth.ts';
import type { IngestSummary, ServerContext } from './context.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { streamRoutes } from './routes/stream.ts';
import { adminRoutes } from './routes/admin.ts';
import { pageRoutes } from './routes/page.ts';

/** Records waiting to be scored beyond which /ingest answers 503 (back-pressure). */
export const MAX_SCORING_BACKLOG = 200_000;
/** Replay slots written at once on first start (2 days), so the page has history. */
const BACKFILL_SLOTS = 192;
/** How often the roll-up timer looks for intervals to close. */
const ROLLUP_TICK_MS = 1000;

export interface CxServer {
  readonly app: FastifyInstance;
  readonly ctx: ServerContext;
  /** Starts listening, then trains / loads the model and starts the replay in the background. */
  listen(): Promise<string>;
  /** Resolves when the model is ready and the replay (if on) has started. */
  readonly started: Promise<void>;
  close(): Promise<void>;
}

export interface CreateOptions {
  /** Pino logger options or instance (default: level from config, JSON lines to stdout). */
  readonly logger?: FastifyServerOptions['logger'];
}

export async function createServer(config: ServerConfig, options: CreateOptions = {}): Promise<CxServer> {
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    // Fastify's own two lines per request are off: the onResponse hook below writes one.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    return503OnClosing: true,
    // No coercion ("12" stays a string and fails a number field), nothing silently removed.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, allowUnionTypes: true } },
  });

  const store = new Store(config.store, config.durability);
  const metrics = new Metrics();
  const model = new ModelManager(config, store, app.log);
  let pipeline: ScoringPipeline;
  const hub = new SseHub(config.maxSseClients, config.heartbeatMs, () => pipeline.scoredThrough);
  // Queues the records stored before a crash and never scored (see ScoringPipeline).
  pipeline = new ScoringPipeline(store, model, hub, metrics, app.log);
  const metricNames = parseFieldSpec(config.fields).fields.map((f) => f.name);
  const rollup = new Rollup(config.intervalMinutes * 60_000, config.intervalGraceSeconds * 1000, config.timeField, config.segmentField);
  rollup.restore(store.rollupState((ts) => rollup.slotOf(ts)));
  // Interaction records are rolled up only into fields the model scores.
  const rollupOn = metricNames.some((m) => (ROLLUP_METRICS as readonly string[]).includes(m));

  const ctx: ServerContext = {
    config,
    store,
    model,
    hub,
    pipeline,
    metrics,
    metricNames,
    startedAt: Date.now(),
    replay: null,
    rollup,
    ingest(source: string, records: readonly CheckedRecord[]): IngestSummary {
      const t = performance.now();
      const w = writeIngest(source, records);
      metrics.stageSeconds.write += (performance.now() - t) / 1000;
      return finishIngest(source, w);
    },
    ingestGrouped(source: string, records: readonly CheckedRecord[]): Promise<IngestSummary> {
      return new Promise((resolve, reject) => {
        groupQueue.push({ source, records, resolve, reject });
        if (groupQueue.length === 1) setImmediate(flushGroup);
      });
    },
  };

  interface Written {
    readonly records: readonly CheckedRecord[];
    readonly intervals: number;
    readonly out: IngestOutcome;
  }

  /** Checks, splits and writes one request's records (a transaction, or a savepoint of the group's). */
  function writeIngest(source: string, records: readonly CheckedRecord[]): Written {
    if (pipeline.pending > MAX_SCORING_BACKLOG) {
      throw Object.assign(new Error(`scoring backlog is full (${pipeline.pending} records waiting); retry shortly`), { statusCode: 503 });
    }
    const intervals: CheckedRecord[] = [];
    const interactions: CheckedRecord[] = [];
    for (const c of records) (c.interaction ? interactions : intervals).push(c);
    if (interactions.length > 0 && !rollupOn) {
      throw new BadRequest(
        `record ${records.indexOf(interactions[0]!)} is an interaction record, but CX_FIELDS (${config.fields}) has none of the roll-up columns ${ROLLUP_METRICS.join(', ')}: send interval records`,
      );
    }
    const out = store.ingest(
      source,
      intervals.map((c) => ({ clientId: c.clientId, ts: c.ts, segment: c.segment, json: JSON.stringify(c.record) })),
      interactions.map((c) => ({ clientId: c.clientId, interaction: c.interaction!, json: JSON.stringify(c.record) })),
      interactions.length > 0 ? { isLate: (ts) => rollup.isLate(ts), plan: (added) => rollup.plan(added, Date.now()) } : undefined,
    );
    return { records, intervals: intervals.length, out };
  }

  /** After the commit: the roll-up's memory follows the store, the new rows go to scoring; the answer. */
  function finishIngest(source: string, w: Written, planApplied = false): IngestSummary {
    const { records, out } = w;
    const ix = out.interactions;
    if (ix && !planApplied) rollup.apply(ix.plan);
    metrics.addIngested(source, out.written.length + (ix ? ix.added.length + ix.late.length : 0));
    metrics.duplicates += w.intervals - out.written.length + (ix ? ix.duplicate.filter(Boolean).length : 0);
    pipeline.enqueue(ix && ix.rolled.length > 0 ? [...out.written.map((x) => x.row), ...ix.rolled] : out.written.map((x) => x.row));
    // Per input record, in input order: the interval record's seq, or null for an interaction.
    const seqs: (number | null)[] = new Array(records.length).fill(null);
    let k = 0;
    let first: number | null = null;
    let last: number | null = null;
    for (let i = 0; i < records.length; i++) {
      if (records[i]!.interaction) continue;
      const seq = out.seqs[k++]!;
      seqs[i] = seq;
      if (first === null || seq < first) first = seq;
      if (last === null || seq > last) last = seq;
    }
    const summary: IngestSummary = { count: records.length, written: out.written.length, duplicates: w.intervals - out.written.length, seqs, firstSeq: first, lastSeq: last };
    if (!ix) return summary;
    return {
      ...summary,
      interactions: {
        count: records.length - w.intervals,
        written: ix.added.length + ix.late.length,
        duplicates: ix.duplicate.filter(Boolean).length,
        late: ix.late.length,
        intervalsClosed: ix.rolled.length,
      },
    };
  }

  /**
   * Group commit: the /ingest requests whose bodies were parsed in the same turn of the
   * event loop (while the previous commit held it, say) are written in ONE transaction,
   * each as a savepoint of it, and answered once it is committed: one fsync for all of
   * them instead of one each. The roll-up plans each request's interactions against the
   * state the previous one left (applied in memory as it goes, rolled back with the
   * transaction). If the group's transaction fails, each request is retried alone, so one
   * failure costs only its request.
   */
  const groupQueue: { source: string; records: readonly CheckedRecord[]; resolve: (s: IngestSummary) => void; reject: (e: unknown) => void }[] = [];
  function flushGroup(): void {
    const jobs = groupQueue.splice(0);
    if (jobs.length > 1) {
      const rollback = rollup.snapshot();
      const t = performance.now();
      let written: Written[] | null = null;
      try {
        written = store.group(() =>
          jobs.map((r) => {
            const w = writeIngest(r.source, r.records);
            if (w.out.interactions) rollup.apply(w.out.interactions.plan);
            return w;
          }),
        );
      } catch {
        rollback(); // retried one by one below
      }
      metrics.stageSeconds.write += (performance.now() - t) / 1000;
      if (written) {
        metrics.groupCommits++;
        for (let k = 0; k < jobs.length; k++) jobs[k]!.resolve(finishIngest(jobs[k]!.source, written[k]!, true));
        return;
      }
    }
    for (const r of jobs) {
      const t = performance.now();
      let w: Written;
      try {
        w = writeIngest(r.source, r.records);
      } catch (e) {
        r.reject(e);
        continue;
      } finally {
        metrics.stageSeconds.write += (performance.now() - t) / 1000;
      }
      r.resolve(finishIngest(r.source, w));
    }
  }

  /** Closes intervals by the event-time clock when no interaction comes to close them (see rollup.ts). */
  function closeDueIntervals(): void {
    if (rollup.watermark === null) return;
    const plan: RollupPlan = rollup.plan([], Date.now());
    if (plan.intervals.length === 0 && plan.closedBefore === rollup.closedBefore) return;
    const rows = store.commitRollup(plan);
    rollup.apply(plan);
    pipeline.enqueue(rows);
  }

  registerBodyParsers(app, config);

  // CORS: no origins configured = same-origin only (no CORS headers at all).
  if (config.corsOrigins.length > 0) {
    const any = config.corsOrigins.includes('*');
    await app.register(cors, {
      origin: any ? true : (origin, cb) => cb(null, origin !== undefined && config.corsOrigins.includes(origin)),
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['content-type', 'authorization', 'last-event-id'],
      maxAge: 600,
    });
  }
  if (config.rateLimit > 0) {
    await app.register(rateLimit, {
      max: config.rateLimit,
      timeWindow: 60_000,
      errorResponseBuilder: (_req, c) => ({
        statusCode: 429,
        error: 'Too Many Requests',
        message: `rate limit of ${c.max} requests a minute per client exceeded (CX_RATE_LIMIT); retry in ${Math.ceil(c.ttl / 1000)} s`,
      }),
    });
  }

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown }, req, reply) => {
    let status = err.statusCode ?? 500;
    let message = err.message;
    if (err.validation) status = 400;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `request body is larger than the limit of ${config.bodyLimit} bytes (CX_BODY_LIMIT)`;
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      message = `unsupported content-type ${JSON.stringify(req.headers['content-type'] ?? '')}; send application/json, application/x-ndjson or text/csv`;
    }
    if (status === 400 || status === 413 || status === 415) metrics.rejected++;
    if (status >= 500 && status !== 503) req.log.error({ err }, 'request failed');
    const error = status === 400 ? 'Bad Request' : status === 413 ? 'Payload Too Large' : status === 429 ? 'Too Many Requests' : status >= 500 ? (status === 503 ? 'Service Unavailable' : 'Internal Server Error') : 'Error';
    void reply.code(status).send({ statusCode: status, error, message: status >= 500 && status !== 503 ? 'internal error' : message });
  });

  // One structured line per request; never the records themselves.
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.request(req.method, route, reply.statusCode, seconds);
    const records = (req as { recordCount?: number }).recordCount;
    req.log.info({ method: req.method, url: req.url.split('?')[0], route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100, ...(records !== undefined ? { records } : {}) }, 'request');
  });

  const guard = bearerGuard(config.ingestToken);
  ingestRoutes(app, ctx, guard as never);
  streamRoutes(app, ctx);
  adminRoutes(app, ctx, guard as never);
  pageRoutes(app, ctx);

  let pruneTimer: NodeJS.Timeout | null = null;
  let rollupTimer: NodeJS.Timeout | null = null;
  let startedResolve!: () => void;
  let startedReject!: (e: Error) => void;
  const started = new Promise<void>((res, rej) => {
    startedResolve = res;
    startedReject = rej;
  });
  started.catch(() => {});

  async function boot(): Promise<void> {
    const out = await model.init(() => pipeline.scoredThrough);
    if (model.lastError) app.log.warn({ err: model.lastError }, 'model');
    app.log.info({ source: model.info?.source, records: model.info?.records, ms: Math.round(model.info?.trainMillis ?? 0) }, 'model ready');
    if (pipeline.recovered > 0) app.log.info({ records: pipeline.recovered }, 'scoring records stored before a crash');
    if (config.replay && out?.replay) {
      const replay = new Replay({
        intervals: out.replay,
        speed: config.replaySpeed,
        timeField: 'timestamp',
        segmentField: 'queue',
        resumeAfter: store.lastTimestamp('replay'),
        backfillSlots: BACKFILL_SLOTS,
        emit: (records) => {
          try {
            ctx.ingest('replay', checkRecords(records, config, metricNames));
          } catch (e) {
            app.log.warn({ err: (e as Error).message }, 'replay records not written');
          }
        },
      });
      ctx.replay = replay;
      replay.startTimer();
      app.log.info({ speed: config.replaySpeed, clock: new Date(replay.clock).toISOString(), incidents: out.incidents.length }, 'replay started');
    }
    pruneTimer = setInterval(() => {
      try {
        const n = store.prune(config.maxStoredRecords);
        if (n > 0) app.log.info({ records: n }, 'pruned old records');
      } catch (e) {
        app.log.warn({ err: (e as Error).message }, 'prune failed');
      }
    }, 60_000);
    pruneTimer.unref();
    rollupTimer = setInterval(() => {
      try {
        closeDueIntervals();
      } catch (e) {
        app.log.warn({ err: (e as Error).message }, 'closing intervals failed; retrying');
      }
    }, ROLLUP_TICK_MS);
    rollupTimer.unref();
  }

  hub.start();
  let closed = false;
  return {
    app,
    ctx,
    started,
    async listen() {
      const address = await app.listen({ port: config.port, host: config.host });
      boot().then(startedResolve, (e: Error) => {
        app.log.error({ err: e.message }, 'start-up training failed; /score and scoring wait for POST /train');
        model.lastError = e.message;
        startedReject(e);
      });
      return address;
    },
    async close() {
      if (closed) return;
      closed = true;
      ctx.replay?.stop();
      if (pruneTimer) clearInterval(pruneTimer);
      if (rollupTimer) clearInterval(rollupTimer);
      hub.close();
      await app.close();
      pipeline.stop();
      await model.close();
      store.close();
    },
  };
}
