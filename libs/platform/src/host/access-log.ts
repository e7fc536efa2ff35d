import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { httpLogFields } from './http-entry';

/**
 * One access line per HTTP request, written when it is answered (or the client leaves), named by the request
 * id its `x-request-id` header shows and carrying its trace and span. Written from Fastify's own hooks, not a
 * per-request child logger and middleware: the same line for a fraction of the work on the hottest path.
 * Headers stay out of it: nothing in them is worth a token leaking into a log.
 */
export function logRequests(app: NestFastifyApplication, log: Logger): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onResponse', (request, reply, done) => {
    const line = {
      req: { id: request.id, method: request.method, url: request.url, remoteAddress: request.ip },
      res: { statusCode: reply.statusCode },
      responseTime: Math.round(reply.elapsedTime * 1_000) / 1_000,
      ...httpLogFields(request.raw),
    };
    // Shed (503) or out of time (504, often the client's own Request-Timeout-Ms): the process is working as
    // designed, so a warning; any other 5xx is an error someone must read.
    if (reply.statusCode === 503 || reply.statusCode === 504) log.warn(line, 'request not served');
    else if (reply.statusCode >= 500) log.error(line, 'request errored');
    else log.info(line, 'request completed');
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    log.info(
      { req: { id: request.id, method: request.method, url: request.url, remoteAddress: request.ip }, ...httpLogFields(request.raw) },
      'request aborted',
    );
    done();
  });
}
