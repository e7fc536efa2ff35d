import type { ServerResponse } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
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
    writeAccessLine(log, request, reply.raw, reply.elapsedTime);
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

/** Answers the server gave by design (load shed, draining, the client's own deadline), though 5xx: see {@link markNotServed}. */
const notServed = new WeakSet<ServerResponse>();

/**
 * Marks a 5xx answer the server gave by design: shed under load, refused while draining, or out of the time
 * the client itself asked for. Its access line is a warning; every other 5xx is an error someone must read
 * (a context down, a slow downstream, a fault).
 */
export function markNotServed(response: ServerResponse): void {
  notServed.add(response);
}

/** What went wrong behind a 5xx, for the operator: the client is told less. See {@link noteFailure}. */
const failures = new WeakMap<ServerResponse, string>();

/**
 * Keeps, for the answer's access line, what a 5xx the client is told only in general terms was (which call
 * was late, what the database said), so the operator reading the line still has it.
 */
export function noteFailure(response: ServerResponse, failure: string): void {
  failures.set(response, failure);
}

/** The access line of an answer. */
function writeAccessLine(log: Logger, request: FastifyRequest, response: ServerResponse, elapsedMs: number): void {
  const failure = failures.get(response);
  const line = {
    req: { id: request.id, method: request.method, url: request.url, remoteAddress: request.ip },
    res: { statusCode: response.statusCode },
    responseTime: Math.round(elapsedMs * 1_000) / 1_000,
    ...httpLogFields(request.raw),
    ...(failure === undefined ? {} : { failure }),
  };
  if (response.statusCode < 500) log.info(line, 'request completed');
  else if (notServed.has(response)) log.warn(line, 'request not served');
  else log.error(line, 'request errored');
}

/**
 * `refuse`, the HTTP context's answer to what Fastify's router refuses before any route or hook (a path it
 * can't decode, say), with the request id header and the access line the hooks would have given it.
 */
export function withAccessLine(
  log: Logger,
  refuse: NonNullable<FastifyServerOptions['frameworkErrors']>,
): FastifyServerOptions['frameworkErrors'] {
  return ((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    void reply.header('x-request-id', request.id);
    const started = performance.now();
    reply.raw.once('finish', () => writeAccessLine(log, request, reply.raw, performance.now() - started));
    refuse(error, request, reply);
  }) as FastifyServerOptions['frameworkErrors'];
}
