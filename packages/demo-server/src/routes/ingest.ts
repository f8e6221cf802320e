/** POST /ingest (store, then score + broadcast) and POST /score (score only, nothing stored). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.ts';
import { batchSchema, checkRecords, unwrapRecords, BadRequest } from '../records.ts';
import type { CxRecord } from '../engine.ts';

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
    const out = ctx.ingest('ingest', checked);
    const written = out.written.length;
    return reply.code(written > 0 ? 201 : 200).send({
      count: checked.length,
      written,
      duplicates: checked.length - written,
      seqs: out.seqs,
      firstSeq: out.seqs.length ? Math.min(...out.seqs) : null,
      lastSeq: out.seqs.length ? Math.max(...out.seqs) : null,
    });
  });

  app.post<{ Body: Record<string, unknown>[] }>('/score', { schema, preValidation: unwrap }, async (req, reply) => {
    const checked = checkRecords(req.body, ctx.config, ctx.metricNames);
    (req as { recordCount?: number }).recordCount = checked.length;
    await modelReady(ctx);
    // The worker answers with the results' JSON text: spliced in, not re-serialised.
    const results = await ctx.model.score(checked.map((c) => c.record as CxRecord));
    return reply.type('application/json; charset=utf-8').send(`{"results":${results}}`);
  });
}
