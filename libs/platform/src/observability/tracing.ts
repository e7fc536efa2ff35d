import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { CallContext } from '../context/call-context';
import { toCleaveError } from '../errors/cleave-error';

export { SpanKind, type Span } from '@opentelemetry/api';

/**
 * The tracer spans go to, while this process exports them (see trace-export.ts); undefined otherwise, and
 * every seam then costs one check. Module-wide, as the call context it mirrors is.
 */
let tracer: Tracer | undefined;

/** The tracer, when spans are exported; seams test this before building anything. */
export function activeTracer(): Tracer | undefined {
  return tracer;
}

/**
 * Whether the standard OpenTelemetry variables ask for spans: an OTLP endpoint is set, and neither
 * OTEL_SDK_DISABLED nor OTEL_TRACES_EXPORTER=none turns them off.
 */
export function tracesWanted(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',').map((e) => e.trim().toLowerCase());
  return !exporters.includes('none');
}

/** Installs (or, with undefined, removes) the tracer; returns the one it replaced. */
export function useTracer(next: Tracer | undefined): Tracer | undefined {
  const previous = tracer;
  tracer = next;
  return previous;
}

/** What a span is started under: the W3C ids of its parent, as Cleave's call context carries them. */
export type SpanParent = Pick<CallContext, 'traceId' | 'spanId' | 'sampled'>;

/**
 * Starts a span under `parent` (a new trace without one). Cleave's call context stays the one source of
 * ids: the parent is rebuilt from it rather than from an OpenTelemetry context, so no second context
 * travels through AsyncLocalStorage. Call only when {@link activeTracer} is set.
 */
export function startSpan(active: Tracer, name: string, kind: SpanKind, parent: SpanParent | undefined, attributes?: Attributes): Span {
  const context =
    parent === undefined
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, {
          traceId: parent.traceId,
          spanId: parent.spanId,
          traceFlags: parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
          isRemote: true,
        });
  return active.startSpan(name, { kind, attributes }, context);
}

/** A call context continued in `span`: the same trace, the span's id as the current one. */
export function inSpan(context: CallContext, span: Span): CallContext {
  const ids = span.spanContext();
  return { ...context, traceId: ids.traceId, spanId: ids.spanId, sampled: (ids.traceFlags & TraceFlags.SAMPLED) !== 0 };
}

/** Ends a span, marked as failed with the error's Cleave code when there is one. */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    const e = toCleaveError(error);
    span.setAttribute('error.type', e.reason === undefined ? e.code : `${e.code}.${e.reason}`);
    span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  }
  span.end();
}

/**
 * Ends `span` when `outcome` settles, passing the outcome on; a value that is not a promise ends it now.
 * A synchronous throw is the caller's to catch.
 */
export function endWhenSettled<T>(span: Span, outcome: T): T {
  if (!(outcome instanceof Promise)) {
    span.end();
    return outcome;
  }
  return outcome.then(
    (value: unknown) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      endSpan(span, error);
      throw error;
    },
  ) as T;
}

/** The W3C `traceparent` of a span. */
export function spanTraceparent(span: Span): string {
  const ids = span.spanContext();
  return `00-${ids.traceId}-${ids.spanId}-${(ids.traceFlags & TraceFlags.SAMPLED) !== 0 ? '01' : '00'}`;
}
