/** GET /records, GET /model, POST /train, POST /replay/incident, GET /health, GET /metrics. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.ts';
import { BadRequest } from '../records.ts';
import { INJECT_KINDS, type InjectKind } from '../replay.ts';
import { ENGINE_VERSION } from '@cx-anomaly/engine';

function intParam(v: unknown, name: string, def: number, min: number, max: number): number {
  if (v === undefined || v === '') return def;
  const s = typeof v === 'string' ? v.trim() : '';
  if (!/^\d{1,15}$/.test(s) || Number(s) < min || Number(s) > max) {
    throw new BadRequest(`query parameter ${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return Number(s);
}

type Guard = ((req: FastifyRequest, reply: never) => Promise<void>) | undefined;

export function adminRoutes(app: FastifyInstance, ctx: ServerContext, guard: Guard): void {
  const guarded = guard ? { preHandler: guard as never } : {};

  app.get<{ Querystring: Record<string, string> }>('/records', async (req, reply) => {
    const since = intParam(req.query.since, 'since', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(req.query.limit, 'limit', 100, 1, 1000);
    const offset = intParam(req.query.offset, 'offset', 0, 0, 1_000_000);
    const rows = ctx.store.since(since, limit, offset);
    // Stored JSON is spliced in as it is: no parse + re-serialise per record.
    const items = rows.map((r) => `{"seq":${r.seq},"receivedAt":${r.receivedAt},"source":${JSON.stringify(r.source)},"record":${r.record},"result":${r.result ?? 'null'}}`);
    const last = rows.length ? rows[rows.length - 1]!.seq : null;
    reply.type('application/json; charset=utf-8');
    return `{"records":[${items.join(',')}],"count":${rows.length},"next":${rows.length === limit ? last : 'null'},"lastSeq":${ctx.store.lastSeq()}}`;
  });

  app.get('/model', async (_req, reply) => {
    const bytes = ctx.model.bytes();
    if (!bytes) return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: 'no model yet: start-up training is still running' });
    return reply
      .type('application/octet-stream')
      .header('content-disposition', 'attachment; filename="cx-anomaly-model.bin"')
      .header('x-model-source', ctx.model.info?.source ?? '')
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });

  app.post<{ Querystring: Record<string, string> }>('/train', { ...guarded }, async (req, reply) => {
    const wait = req.query.wait === '1' || req.query.wait === 'true';
    const already = ctx.model.isTraining;
    const job = ctx.model.train(() => ctx.pipeline.scoredThrough);
    if (wait) {
      const info = await job;
      return { status: 'trained', model: info };
    }
    job.catch((e: Error) => req.log.warn({ err: e.message }, 'training failed'));
    return reply.code(202).send({ status: 'training', alreadyRunning: already });
  });

  app.post<{ Body: { kind?: string; queue?: string; slots?: number } | undefined }>(
    '/replay/incident',
    {
      ...guarded,
      schema: {
        body: {
          anyOf: [
            { type: 'null' },
            {
              type: 'object',
              additionalProperties: false,
              properties: { kind: { type: 'string', enum: [...INJECT_KINDS] }, queue: { type: 'string', maxLength: 200 }, slots: { type: 'integer', minimum: 1, maximum: 96 } },
            },
          ],
        },
      },
    },
    async (req, reply) => {
      if (!ctx.replay) throw new BadRequest(ctx.config.replay ? 'the replay is still starting' : 'the replay is off (CX_REPLAY=off)', 409);
      const body = req.body ?? {};
      try {
        const inj = ctx.replay.inject((body.kind ?? 'outage') as InjectKind, body.queue, body.slots ?? 8);
        return reply.code(202).send({ kind: inj.kind, queue: inj.queue, slots: inj.remaining, from: new Date(ctx.replay.clock).toISOString() });
      } catch (e) {
        throw new BadRequest((e as Error).message);
      }
    },
  );

  app.get('/health', { config: { rateLimit: false } }, async () => {
    const m = ctx.model.info;
    return {
      status: ctx.model.isReady ? 'ok' : 'starting',
      version: ENGINE_VERSION,
      uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
      model: {
        ready: ctx.model.isReady,
        training: ctx.model.isTraining,
        pendingScoreCalls: ctx.model.scoreCalls,
        scoreWorkers: ctx.model.workerCounts.batch,
        scoreInFlight: ctx.model.scoreInFlight,
        streamWorkers: ctx.model.workerCounts.stream,
        streamScorerPriority: ctx.model.streamPriority,
        source: m?.source ?? null,
        createdAt: m ? new Date(m.createdAt).toISOString() : null,
        records: m?.records ?? 0,
        trainMillis: m ? Math.round(m.trainMillis) : null,
        lastError: ctx.model.lastError,
        fields: ctx.config.fields,
      },
      store: { records: ctx.store.count(), lastSeq: ctx.store.lastSeq(), scoredThrough: ctx.pipeline.scoredThrough, scoringBacklog: ctx.pipeline.pending },
      rollup: {
        intervalMinutes: ctx.config.intervalMinutes,
        interactions: ctx.store.interactionCount(),
        openIntervals: ctx.rollup.openSlots,
        closedBefore: ctx.rollup.closedBefore === null ? null : new Date(ctx.rollup.closedBefore).toISOString(),
      },
      replay: ctx.replay
        ? { on: true, speed: ctx.config.replaySpeed, queues: ctx.replay.queues, clock: new Date(ctx.replay.clock).toISOString(), emitted: ctx.replay.emitted, injections: ctx.replay.activeInjections }
        : { on: false },
      stream: { clients: ctx.hub.size, max: ctx.config.maxSseClients },
    };
  });

  app.get('/metrics', { config: { rateLimit: false } }, async (_req, reply) => {
    const info = ctx.model.info;
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return ctx.metrics.render({
      cx_sse_clients: { help: 'Connected /stream clients.', value: ctx.hub.size },
      cx_sse_clients_dropped: { help: 'Stream clients dropped for being too slow (since start).', value: ctx.hub.dropped },
      cx_model_ready: { help: '1 when a model is loaded.', value: ctx.model.isReady ? 1 : 0 },
      cx_model_training: { help: '1 while a training job runs.', value: ctx.model.isTraining ? 1 : 0 },
      cx_model_age_seconds: { help: 'Seconds since the current model was trained.', value: info ? (Date.now() - info.createdAt) / 1000 : -1 },
      cx_model_trained_records: { help: 'Records the current model was fitted on.', value: info?.records ?? 0 },
      cx_store_records: { help: 'Records in the store.', value: ctx.store.count() },
      cx_store_last_seq: { help: 'Newest store sequence number.', value: ctx.store.lastSeq() },
      cx_scoring_backlog: { help: 'Stored records waiting to be scored.', value: ctx.pipeline.pending },
      cx_uptime_seconds: { help: 'Seconds since start.', value: (Date.now() - ctx.startedAt) / 1000 },
    });
  });
}
