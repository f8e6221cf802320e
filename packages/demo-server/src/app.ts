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
import { checkRecords, registerBodyParsers, type CheckedRecord } from './records.ts';
import { Replay } from './replay.ts';
import { Store } from './store.ts';
import { bearerGuard } from './auth.ts';
import type { ServerContext } from './context.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { streamRoutes } from './routes/stream.ts';
import { adminRoutes } from './routes/admin.ts';
import { pageRoutes } from './routes/page.ts';

/** Records waiting to be scored beyond which /ingest answers 503 (back-pressure). */
export const MAX_SCORING_BACKLOG = 200_000;
/** Replay slots written at once on first start (2 days), so the page has history. */
const BACKFILL_SLOTS = 192;

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
  pipeline = new ScoringPipeline(store, model, hub, metrics, app.log);
  const metricNames = parseFieldSpec(config.fields).fields.map((f) => f.name);

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
    ingest(source: string, records: readonly CheckedRecord[]) {
      if (pipeline.pending > MAX_SCORING_BACKLOG) {
        throw Object.assign(new Error(`scoring backlog is full (${pipeline.pending} records waiting); retry shortly`), { statusCode: 503 });
      }
      const out = store.ingest(
        source,
        records.map((c) => ({ clientId: c.clientId, ts: c.ts, segment: c.segment, json: JSON.stringify(c.record) })),
      );
      metrics.addIngested(source, out.written.length);
      metrics.duplicates += records.length - out.written.length;
      pipeline.enqueue(out.written.map((w) => w.row));
      return out;
    },
  };

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
    const recovered = pipeline.recover();
    if (recovered > 0) app.log.info({ records: recovered }, 'scoring records stored before a crash');
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
      hub.close();
      await app.close();
      pipeline.stop();
      await model.close();
      store.close();
    },
  };
}
