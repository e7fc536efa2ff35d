import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import qs from 'qs';
import underPressure from '@fastify/under-pressure';
import {
  CLEAVE_CONFIG,
  CleaveError,
  crashPoint,
  crashPointsArmed,
  Metrics,
  QUERY_PARAMETER_LIMIT,
  type CleaveConfig,
} from '@cleave/platform';
import type { FastifyServerOptions } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { finished } from 'node:stream';
import { jsonBodyFault } from './json-body';
import { bodyText, formFault } from './body-text';
import { httpFailure, monzoErrorBody, MonzoErrorFilter, sendMonzoError } from './monzo-error.filter';
import { GatewayErrors, PlatformErrors } from '@cleave/contracts';

/**
 * The gateway's HTTP server: form-encoded bodies with bracketed keys (`metadata[trip]=Lisbon`) besides
 * JSON, Monzo-style errors for every route (unknown ones too), and the OpenAPI document at /docs,
 * generated from the same DTOs that validate requests.
 */
export async function setUpGatewayHttp(app: NestFastifyApplication): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  // Draining: new requests are turned away at once, in Monzo's shape, and told to go elsewhere.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    void reply.header('connection', 'close').header('retry-after', '1');
    sendMonzoError(reply, CleaveError.of(GatewayErrors.shuttingDown, 'this server is shutting down; retry the request'));
  });
  // Node keeps the first of a repeated Authorization or Host and drops the rest: a proxy in front that read
  // the last would have authorised someone else.
  fastify.addHook('onRequest', (request, reply, done) => {
    const repeated = repeatedSingleton(request.raw.rawHeaders);
    if (repeated !== undefined) {
      const message = `the ${repeated} header must be sent once`;
      return sendMonzoError(reply, CleaveError.ofField(PlatformErrors.badHeader, { field: repeated, rule: 'sentOnce', message }));
    }
    // A compressed body was parsed as if it were plain, and refused as malformed, or worse, read as something else.
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      const message = 'send the body uncompressed (no Content-Encoding)';
      const failure = CleaveError.ofField(GatewayErrors.unsupportedMediaType, { field: 'content-encoding', rule: 'identity', message });
      return sendMonzoError(reply, failure);
    }
    // Node decodes chunked alone and passes any coding before it (`gzip, chunked`) by, unread: as with
    // Content-Encoding, the body would be read as something it is not.
    const transfer = request.headers['transfer-encoding'];
    if (transfer !== undefined && transfer.trim().toLowerCase() !== 'chunked') {
      const message = 'send the body as it is, or chunked (no other Transfer-Encoding)';
      const failure = CleaveError.ofField(GatewayErrors.unsupportedMediaType, { field: 'transfer-encoding', rule: 'chunked', message });
      return sendMonzoError(reply, failure);
    }
    // A fragment is no part of a request target (RFC 9112 §3.2), and the router reads a query after `#` too:
    // one there would pass unchecked.
    const url = request.raw.url!;
    if (url.includes('#')) {
      const message = 'the request target must not contain a fragment (#)';
      return sendMonzoError(reply, CleaveError.ofField(GatewayErrors.badUrl, { field: 'path', rule: 'noFragment', message }));
    }
    // qs reads so many parameters and drops the rest without a word: an account_id or a since among them was lost.
    const query = url.indexOf('?');
    if (query >= 0 && parameterCount(url, query + 1) > QUERY_PARAMETER_LIMIT) {
      const message = `at most ${QUERY_PARAMETER_LIMIT} query parameters`;
      return sendMonzoError(reply, CleaveError.ofField(PlatformErrors.badParam, { field: 'query', rule: 'parameterLimit', message }));
    }
    const queryFault = query >= 0 ? formFault(url, query + 1) : undefined;
    if (queryFault !== undefined) return sendMonzoError(reply, queryFault);
    // HTTP/1.1 requires it (RFC 9112 §3.2); Node's own refusal had no body.
    if (request.headers.host === undefined && request.raw.httpVersionMinor >= 1) {
      const message = 'the host header is required';
      return sendMonzoError(reply, CleaveError.ofField(PlatformErrors.badHeader, { field: 'host', rule: 'isDefined', message }));
    }
    done();
  });
  // An event loop this far behind can't answer in time: refuse at once rather than queue to the deadline.
  const { maxEventLoopDelayMs } = app.get<CleaveConfig>(CLEAVE_CONFIG).shedding;
  if (maxEventLoopDelayMs > 0) {
    const metrics = app.get(Metrics);
    await fastify.register(underPressure, {
      maxEventLoopDelay: maxEventLoopDelayMs,
      // Thrown, not sent: Fastify then skips the route and the Monzo error filter answers (with Retry-After).
      pressureHandler: () => {
        metrics.shed('http');
        throw CleaveError.of(PlatformErrors.overloaded, 'this server is overloaded; retry the request shortly', { retryAfterSeconds: 1 });
      },
    });
  }
  // JSON as Fastify parses it (prototype-poisoning guards included), refusing numbers that aren't whole.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  // Bodies are forms or JSON, nothing else: Fastify's plain-text parser would hand a string to a DTO.
  fastify.removeContentTypeParser(['application/json', 'text/plain']);
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const text = bodyText(body as Buffer, request.headers['content-type']);
    if (text instanceof CleaveError) return done(text, undefined);
    const fault = jsonBodyFault(text);
    if (fault !== undefined) {
      // The error filter cuts a long field name short, here as everywhere.
      const { field, rule } = fault;
      const message =
        rule === 'isInt'
          ? `${field} must be a whole number: amounts are integers in minor units`
          : rule === 'uniqueKey'
            ? `${field} must be given once`
            : `property ${field} should not exist`;
      done(CleaveError.ofField(PlatformErrors.badParam, { field, rule, message }), undefined);
      return;
    }
    // Fastify's JSON parser answers through `done`; its return value is nothing to wait for.
    void parseJson(request, text, done);
  });
  app.useBodyParser('application/x-www-form-urlencoded', {}, (request, body, done) => {
    const text = bodyText(body, request.headers['content-type']);
    if (text instanceof CleaveError) return done(text, undefined);
    if (parameterCount(text, 0) > FORM_PARAMETER_LIMIT) {
      // qs would read the first ones and drop the rest (a currency, a limit) without a word.
      const message = `at most ${FORM_PARAMETER_LIMIT} form parameters`;
      done(CleaveError.ofField(PlatformErrors.badParam, { field: 'body', rule: 'parameterLimit', message }), undefined);
      return;
    }
    const fault = formFault(text, 0);
    if (fault !== undefined) return done(fault, undefined);
    done(null, qs.parse(text, { depth: 2, arrayLimit: 50, parameterLimit: FORM_PARAMETER_LIMIT }));
  });
  // Every error, Fastify's own before a route runs (an unsupported content type, an unreadable body) included.
  app.useGlobalFilters(new MonzoErrorFilter());
  if (crashPointsArmed()) {
    // Drills: die once the card network has heard the answer, with whatever the gateway had in hand.
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onResponse', (request, _reply, done) => {
        if (request.routeOptions.url === '/network/authorisations') crashPoint('gateway.authorise:after-answer');
        done();
      });
  }
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Cleave')
      .setDescription('A card-issuing bank backend, in the shape of the Monzo developer API. Amounts are integers in minor units.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
}

/**
 * What the gateway's HTTP server is built with: a request that Node's parser refuses before Fastify sees it
 * (a lowercase method, a malformed request line, headers too large, a body that never finishes), or that
 * Fastify's router refuses before any route, still gets an answer in Monzo's shape.
 */
export const gatewayServerOptions: FastifyServerOptions = {
  return503OnClosing: false,
  // The router's own refusals (a path it can't decode, a segment past its length limit) come before Nest's filter.
  frameworkErrors(error, _request, reply) {
    sendMonzoError(reply, httpFailure(error));
  },
  clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket) {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // Garbage after a request still being answered on this connection: that answer goes first, then the
    // connection ends (a 400 now would read as the earlier request's answer, though it went through).
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (error.code !== 'ERR_HTTP_REQUEST_TIMEOUT' && inFlight && !inFlight.writableFinished && inFlight.req.complete) {
      finished(inFlight, () => socket.destroy());
      return;
    }
    const [status, failure] =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, CleaveError.of(GatewayErrors.requestTimeout, 'the request took too long to arrive')]
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, CleaveError.of(GatewayErrors.headersTooLarge, 'the request headers are too large')]
          : [400, CleaveError.of(GatewayErrors.badRequestLine, 'the request could not be parsed as HTTP/1.1')];
    const body = JSON.stringify(monzoErrorBody(failure));
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : status === 408 ? 'Request Timeout' : 'Request Header Fields Too Large'}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  },
};

const FORM_PARAMETER_LIMIT = 200;

/** The `&`-separated parts of a query string or form from `start`, as qs counts them against its limit. */
function parameterCount(text: string, start: number): number {
  let count = 1;
  for (let at = text.indexOf('&', start); at !== -1; at = text.indexOf('&', at + 1)) count++;
  return count;
}

const SINGLETONS = new Set(['authorization', 'host', 'idempotency-key', 'request-timeout-ms', 'x-request-id']);

/** The first header that must come once and came more often, in the raw name/value pairs Node keeps. */
function repeatedSingleton(rawHeaders: readonly string[]): string | undefined {
  let seen: Set<string> | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!SINGLETONS.has(name)) continue;
    seen ??= new Set();
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}
