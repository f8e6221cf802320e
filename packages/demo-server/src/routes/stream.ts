/**
 * GET /stream: Server-Sent Events of scored records (see hub.ts for the wire format).
 * Resume: `Last-Event-ID` (header, or `?lastEventId=` for clients that cannot set it)
 * replays every stored record after that seq from the store, then the live events;
 * without it, the newest `backlog` records (default CX_SSE_BACKLOG) come first.
 * Everything from the store read to joining the hub is synchronous, so no record
 * falls between the backlog and the live broadcast.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
import { recordEvents } from '../hub.ts';
import { BadRequest } from '../records.ts';
import type { StoredRow } from '../store.ts';

const PAGE = 5000;
/** Most records replayed to one resuming client; older gaps are for GET /records. */
export const MAX_RESUME = 100_000;

function nonNegInt(v: unknown, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^\d{1,15}$/.test(v.trim())) throw new BadRequest(`${name} must be a non-negative integer (a seq), got ${JSON.stringify(v)}`);
  return Number(v.trim());
}

const rowText = (r: StoredRow): string => recordEvents(r, r.result !== null && r.result.includes('"isAnomaly":true'));

export function streamRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Querystring: { lastEventId?: string; backlog?: string } }>('/stream', async (req, reply) => {
    const header = req.headers['last-event-id'];
    const lastId = nonNegInt(Array.isArray(header) ? header[0] : header, 'Last-Event-ID') ?? nonNegInt(req.query.lastEventId, 'lastEventId');
    const backlog = Math.min(nonNegInt(req.query.backlog, 'backlog') ?? ctx.config.sseBacklog, 10_000);
    if (ctx.hub.full) {
      return reply
        .code(503)
        .header('retry-after', '10')
        .send({ statusCode: 503, error: 'Service Unavailable', message: `too many stream clients (CX_MAX_SSE_CLIENTS=${ctx.config.maxSseClients}); retry later` });
    }
    const res = reply.raw;
    // Headers set by hooks (CORS) are copied: a hijacked reply skips fastify's send path.
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = String(v);
    reply.hijack();
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const through = ctx.pipeline.scoredThrough;
    if (lastId !== undefined) {
      let after = Math.max(lastId, through - MAX_RESUME);
      for (;;) {
        const rows = ctx.store.since(after, PAGE, 0, through);
        if (rows.length === 0) break;
        let text = '';
        for (const r of rows) text += rowText(r);
        res.write(text);
        after = rows[rows.length - 1]!.seq;
        if (rows.length < PAGE) break;
      }
    } else if (backlog > 0) {
      let text = '';
      for (const r of ctx.store.latest(backlog, through)) text += rowText(r);
      res.write(text);
    }
    ctx.hub.add(res);
    req.log.debug({ clients: ctx.hub.size }, 'stream client joined');
  });
}
