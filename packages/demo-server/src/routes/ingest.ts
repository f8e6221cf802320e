/** POST /ingest (store, then score + broadcast) and POST /score (score only, nothing stored). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.ts';
import { batchSchema, checkRecords, jsonTextOf, unwrapRecords, BadRequest } from '../records.ts';
import type { CxRecord } from '../engine.ts';
import { INTERACTION_FIELDS } from '../rollup.ts';

/** Waits for the model (start-up training) at most this long before answering 503. */
const MODEL_WAIT_MS = 30_000;

async function modelReady(ctx: ServerContext): Promise<void> {
  if (ctx.model.isReady) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BadRequest('the model is still being trained; retry in a few seconds', 503)), MODEL_WAIT_MS);
  });
  try {
    await Promise.race([ctx.model.ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function ingestRoutes(app: FastifyInstance, ctx: ServerContext, guard: ((req: FastifyRequest, reply: never) => Promise<void>) | undefined): void {
  const schema = { body: batchSchema(ctx.config) };
  const unwrap = async (req: FastifyRequest): Promise<void> => {
    req.body = unwrapRecords(req.body);
  };

  app.post<{ Body: Record<string, unknown>[] }>('/ingest', { schema, preValidation: unwrap, ...(guard ? { preHandler: guard as never } : {}) }, async (req, reply) => {
    const checked = checkRecords(req.body, ctx.config, ctx.metricNames);
    (req as { recordCount?: number }).recordCount = checked.length;
    const out = await ctx.ingestGrouped('ingest', checked);
    const wrote = out.written + (out.interactions?.written ?? 0);
    return reply.code(wrote > 0 ? 201 : 200).send(out);
  });

  app.post<{ Body: Record<string, unknown>[] }>('/score', { schema, preValidation: unwrap }, async (req, reply) => {
    const checked = checkRecords(req.body, ctx.config, ctx.metricNames);
    (req as { recordCount?: number }).recordCount = checked.length;
    const ix = checked.findIndex((c) => c.interaction);
    if (ix !== -1) {
      throw new BadRequest(
        `record ${ix} is an interaction record (${INTERACTION_FIELDS.aht}): POST /score scores interval records; POST /ingest rolls interactions up into ${ctx.config.intervalMinutes}-minute intervals`,
      );
    }
    await modelReady(ctx);
    // The validated JSON body goes to the worker as the text it came as (records unchanged by
    // validation): a string to post, not a clone of every record. The worker answers with the
    // results' JSON text: spliced in, not re-serialised.
    const results = await ctx.model.score(
      checked.map((c) => c.record as CxRecord),
      jsonTextOf(req),
    );
    return reply.type('application/json; charset=utf-8').send(`{"results":${results}}`);
  });
}
