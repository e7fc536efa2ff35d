import type { IncomingMessage } from 'node:http';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import { CLIENT_REQUEST_ID, parseTraceparent } from '../context/call-context';
import { newSpanId, newTraceId } from '../context/ids';
import { activeTracer, SpanKind, startSpan, type Span } from '../observability/tracing';

/**
 * What an HTTP request is known by from its first byte: its trace, the span serving it and its request id.
 * Decided once, when Fastify first sees the request, so the access log, the `x-request-id` header, the
 * call context and the request's span all agree.
 */
export interface HttpEntry {
  readonly traceId: string;
  /** The request's server span: exported when tracing is on, an id all the same when not. */
  readonly spanId: string;
  readonly sampled: boolean;
  /** The client's `X-Request-Id` when it is a valid one, else derived from the trace id. */
  readonly requestId: string;
  readonly span: Span | undefined;
}

const ENTRY = Symbol('cleave.httpEntry');
type WithEntry = IncomingMessage & { [ENTRY]?: HttpEntry };

/** The request's entry, made on first asking (Fastify's `genReqId` asks first). */
export function httpEntryOf(request: IncomingMessage): HttpEntry {
  const known = (request as WithEntry)[ENTRY];
  if (known !== undefined) return known;
  const incoming = firstHeader(request, 'traceparent');
  const parent = incoming === undefined ? undefined : parseTraceparent(incoming);
  const tracer = activeTracer();
  let traceId: string;
  let spanId: string;
  let sampled: boolean;
  let span: Span | undefined;
  if (tracer === undefined) {
    traceId = parent?.traceId ?? newTraceId();
    spanId = newSpanId();
    sampled = parent?.sampled ?? true;
  } else {
    // Named by its method until the route is known (see traceHttp).
    span = startSpan(tracer, request.method ?? 'HTTP', SpanKind.SERVER, parent, {
      [ATTR_HTTP_REQUEST_METHOD]: request.method,
      [ATTR_URL_PATH]: pathOf(request.url),
    });
    const ids = span.spanContext();
    traceId = ids.traceId;
    spanId = ids.spanId;
    sampled = (ids.traceFlags & 1) === 1;
  }
  const asked = firstHeader(request, 'x-request-id');
  const requestId = asked !== undefined && CLIENT_REQUEST_ID.test(asked) ? asked : `req_${traceId}`;
  const entry: HttpEntry = { traceId, spanId, sampled, requestId, span };
  (request as WithEntry)[ENTRY] = entry;
  return entry;
}

/** The entry of a request that has one, without making it. */
export function knownHttpEntry(request: IncomingMessage | undefined): HttpEntry | undefined {
  return (request as WithEntry | undefined)?.[ENTRY];
}

/** The fields every log line about a request carries. */
export function httpLogFields(request: IncomingMessage): { trace_id: string; span_id: string; request_id: string } {
  const entry = httpEntryOf(request);
  return { trace_id: entry.traceId, span_id: entry.spanId, request_id: entry.requestId };
}

function firstHeader(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

// The query stays out of spans: it may carry ids a trace store should not keep.
function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
