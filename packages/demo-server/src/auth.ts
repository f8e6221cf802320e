/**
 * Bearer-token check for the writing endpoints (/ingest, /train, /replay/incident) when
 * CX_INGEST_TOKEN is set. Both sides are hashed (SHA-256) before crypto.timingSafeEqual,
 * so the comparison takes the same time whatever the token's length or content.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function bearerGuard(token: string | undefined): ((req: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined {
  if (token === undefined) return undefined;
  const expected = digest(token);
  return async (req, reply) => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const ok = m !== null && timingSafeEqual(digest(m[1]!), expected);
    if (!ok) {
      reply.header('www-authenticate', 'Bearer realm="cx-anomaly"');
      return reply.code(401).send({
        statusCode: 401,
        error: 'Unauthorized',
        message: m === null ? 'this endpoint needs an "Authorization: Bearer <token>" header (CX_INGEST_TOKEN is set)' : 'the bearer token is not valid',
      });
    }
  };
}
