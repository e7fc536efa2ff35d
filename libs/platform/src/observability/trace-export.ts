import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { ConfigurationError } from '../config/cleave-config';
import { newSpanId, newTraceId } from '../context/ids';
import { useTracer } from './tracing';

/** Who this process is, as its spans name it. */
export interface TraceSource {
  readonly services: readonly string[];
  readonly instanceId: string;
  readonly version: string;
}

/** A running export: flushes what is buffered and stops. */
export interface TraceExport {
  shutdown(): Promise<void>;
}

/**
 * Exports this process's spans over OTLP/HTTP, in batches, to the endpoint the OTEL_EXPORTER_OTLP_*
 * variables name (protobuf unless OTEL_EXPORTER_OTLP_PROTOCOL is http/json); sampling and batching follow
 * OTEL_TRACES_SAMPLER and OTEL_BSP_*, as the SDK reads them. service.name is `cleave-<services>` unless
 * OTEL_SERVICE_NAME says otherwise.
 */
export function startTraceExport(source: TraceSource, env: Readonly<Record<string, string | undefined>> = process.env): TraceExport {
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim();
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ConfigurationError(
      `OTEL_EXPORTER_OTLP_PROTOCOL=${JSON.stringify(protocol)}: Cleave exports OTLP over HTTP, http/protobuf or http/json (grpc is not built in)`,
    );
  }
  const exporter = protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter();
  const services = source.services.length === 0 ? 'client' : source.services.join('+');
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: `cleave-${services}`,
    [ATTR_SERVICE_VERSION]: source.version,
    [ATTR_SERVICE_INSTANCE_ID]: source.instanceId,
  }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({
    resource,
    // Cleave's own ids, from the pool its call contexts draw on.
    idGenerator: { generateTraceId: newTraceId, generateSpanId: newSpanId },
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('cleave', source.version);
  const previous = useTracer(tracer);
  return {
    async shutdown() {
      useTracer(previous);
      await provider.shutdown();
    },
  };
}
