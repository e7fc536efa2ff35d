import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import { Logger, Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import qs from 'qs';
import { CleaveServer } from '../bus/cleave.server';
import { ContractRegistry, type ContractSet } from '../bus/contract-registry';
import { assignEventHandlers } from '../bus/handler.decorators';
import { MessageBus } from '../bus/message-bus';
import { ConfigurationError, type CleaveConfig } from '../config/cleave-config';
import { CleaveLogger } from '../logging/cleave-logger';
import { logRequests, withAccessLine } from './access-log';
import { processLogger } from '../logging/process-logger';
import { NatsTransport } from '../nats/nats.transport';
import { PrincipalSeal } from '../security/principal-seal';
import { natsRole, resolvePlacement, type Placement } from '../bus/placement';
import { PlatformModule } from './platform.module';
import { setTimeout as sleep } from 'node:timers/promises';
import { Health } from './health';
import { ManagementServer } from './management-server';
import { Metrics } from '../observability/metrics';
import { activeTracer, tracesWanted } from '../observability/tracing';
import type { TraceExport } from '../observability/trace-export';
import { ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
import { SpanStatusCode } from '@opentelemetry/api';
import { httpEntryOf, knownHttpEntry } from './http-entry';

/** Query parameters qs reads; past it, it drops the rest without a word, so the gateway refuses such a query. */
export const QUERY_PARAMETER_LIMIT = 1_000;
/** Imports a context's module. Loaders, not modules, so a process loads only the contexts it hosts. */
export type ContextLoader = () => Promise<Type<unknown> | DynamicModule>;

/** How the HTTP context sets its server up. */
export interface HttpSetup {
  /** Options of the Fastify server, over the platform's (its timeouts). */
  readonly serverOptions?: FastifyServerOptions;
  setup(app: NestFastifyApplication): void | Promise<void>;
}

/** What a deployment is made of: its contracts and a Nest module per context. */
export interface CleaveDeployment {
  readonly contracts: ContractSet;
  /** Context name → the loader of the module that implements it, the gateway included. */
  readonly contexts: Readonly<Record<string, ContextLoader>>;
  /** Reported to NATS service discovery. */
  readonly version: string;
  /** The context that serves HTTP, and its setup (loaded only where it is hosted); it listens wherever that context is hosted. */
  readonly http?: {
    readonly context: string;
    load(): Promise<HttpSetup>;
  };
}

/** A started Cleave process. */
export interface CleaveApp {
  readonly app: INestApplication;
  /** The HTTP address, when this process serves HTTP. */
  readonly httpUrl?: string;
  /** Where `/healthz`, `/readyz` and `/metrics` answer, unless CLEAVE_MANAGEMENT_PORT=off. */
  readonly managementUrl?: string;
  readonly placement: Placement;
  readonly bus: MessageBus;
  close(): Promise<void>;
}

@Module({})
class CleaveAppModule {}

/** How long a client has to send its headers, and its whole request. */
const HTTP_HEADERS_TIMEOUT_MS = 10_000;
const HTTP_RECEIVE_TIMEOUT_MS = 15_000;

/**
 * Boots the contexts the configuration places in this process, serves them on the bus, and returns once
 * they answer. The same code path runs the monolith, every split service and every hybrid.
 */
export async function createCleaveApp(deployment: CleaveDeployment, config: CleaveConfig): Promise<CleaveApp> {
  const known = Object.keys(deployment.contexts);
  const placement = resolvePlacement(config.services, known, config.transport);
  const orphans = new ContractRegistry(deployment.contracts).contexts().filter((c) => !known.includes(c));
  if (orphans.length > 0) throw new ConfigurationError(`contracts name contexts with no module: ${orphans.join(', ')}`);

  const mintsPrincipals = deployment.http !== undefined && placement.hosted.has(deployment.http.context);
  if (placement.nats && mintsPrincipals && config.principalKeys.privateKey === undefined) {
    throw new ConfigurationError(
      `this process hosts ${deployment.http!.context}, which seals the principals of the calls it sends over NATS: set CLEAVE_PRINCIPAL_PRIVATE_KEY (or CLEAVE_PRINCIPAL_PRIVATE_KEY_FILE)`,
    );
  }
  const log = processLogger(config.logLevel, config.instanceId);
  const logger = new CleaveLogger(log);
  Logger.overrideLogger(logger);
  if (placement.nats && config.principalKeys.development) {
    if (config.production) {
      throw new ConfigurationError(
        'NODE_ENV=production with the development principal keys: set CLEAVE_PRINCIPAL_PUBLIC_KEY (and CLEAVE_PRINCIPAL_PRIVATE_KEY where the gateway runs), or their *_FILE forms',
      );
    }
  }
  // The exporter's code is loaded only when spans are wanted.
  const traces: TraceExport | undefined = tracesWanted()
    ? (await import('../observability/trace-export')).startTraceExport({
        services: tracedServices(placement),
        instanceId: config.instanceId,
        version: deployment.version,
      })
    : undefined;
  // Connected before Nest boots, so an unreachable NATS stops start-up with one clear line.
  const nats = placement.nats
    ? await NatsTransport.connect({
        url: config.natsUrl,
        credentials: config.natsCredentials,
        role: natsRole(placement),
        seal: new PrincipalSeal(config.principalKeys),
        prefix: config.natsPrefix,
        connectionName: `cleave ${[...placement.hosted].join(',') || 'client'} ${config.instanceId}`,
        defaultTimeoutMs: config.defaultTimeoutMs,
        eventTimeoutMs: config.eventTimeoutMs,
        version: deployment.version,
      })
    : null;
  let app: NestFastifyApplication;
  let http: HttpSetup | undefined;
  try {
    const names = known.filter((name) => placement.hosted.has(name));
    const hosted = await Promise.all(names.map((name) => deployment.contexts[name]!()));
    assignEventHandlers(names.map((name, i) => [name, hosted[i]!] as const));
    http = deployment.http !== undefined && placement.hosted.has(deployment.http.context) ? await deployment.http.load() : undefined;
    const root: DynamicModule = {
      module: CleaveAppModule,
      imports: [
        PlatformModule.forRoot({ config, placement, contracts: deployment.contracts, nats, version: deployment.version }),
        ...hosted,
      ],
    };
    const refusedInRouter = http?.serverOptions?.frameworkErrors;
    // qs reads Monzo-style bracketed parameters (`metadata[key]=value`, `expand[]=merchant`).
    const adapter = new FastifyAdapter({
      routerOptions: {
        querystringParser: (query: string) => qs.parse(query, { parameterLimit: QUERY_PARAMETER_LIMIT }) as Record<string, string>,
        // `/accounts/` is `/accounts`: some Monzo clients end every path with a slash.
        ignoreTrailingSlash: true,
      },
      trustProxy: config.trustProxy,
      // Fastify's request id is Cleave's, so the access log names a request as its x-request-id header does.
      genReqId: (raw: IncomingMessage) => httpEntryOf(raw).requestId,
      // A client that trickles its headers or body can't pin a connection: both must arrive in time.
      requestTimeout: HTTP_RECEIVE_TIMEOUT_MS,
      http: {
        headersTimeout: HTTP_HEADERS_TIMEOUT_MS,
        requestTimeout: HTTP_RECEIVE_TIMEOUT_MS,
        connectionsCheckingInterval: 1_000,
        // Node refuses a request without Host with a bare 400; the HTTP context answers it in its own shape.
        requireHostHeader: false,
      },
      ...http?.serverOptions,
      // What Fastify's router refuses before any route or hook still gets its request id and access line.
      ...(refusedInRouter && { frameworkErrors: withAccessLine(log, refusedInRouter) }),
    });
    // The HTTP context's setup registers the body parsers it accepts (the gateway: JSON and forms).
    app = await NestFactory.create<NestFastifyApplication>(root, adapter, { logger, abortOnError: false, bodyParser: false });
  } catch (error) {
    await nats?.close();
    await traces?.shutdown();
    throw error;
  }
  let httpUrl: string | undefined;
  let managementUrl: string | undefined;
  const management = new ManagementServer(app.get(Health), app.get(Metrics));
  try {
    if (placement.nats && config.principalKeys.development) {
      new Logger('Cleave').warn(
        'principals crossing NATS are sealed with the development key: set CLEAVE_PRINCIPAL_PRIVATE_KEY (gateway) and CLEAVE_PRINCIPAL_PUBLIC_KEY',
      );
    }
    // Not inheriting the HTTP app's global pipes and filters: the bus validates and maps errors itself.
    app.connectMicroservice({ strategy: app.get(CleaveServer) }, { inheritAppConfig: false });
    await app.startAllMicroservices();
    if (http) {
      // Before the HTTP context's own hooks, so that what they refuse at once (shed, draining) is measured,
      // traced and named like any other answer.
      measureHttp(app, app.get(Metrics));
      logRequests(app, log);
      // Every answer names its request, refusals and unknown routes included.
      app
        .getHttpAdapter()
        .getInstance()
        .addHook('onRequest', (request, reply, done) => {
          void reply.header('x-request-id', request.id);
          done();
        });
      if (activeTracer() !== undefined) traceHttp(app);
      await http.setup(app);
      try {
        await app.listen(config.httpPort, config.httpHost);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
        throw new ConfigurationError(
          `port ${config.httpPort} on ${config.httpHost} is already taken: set PORT to a free one (PORT=0 picks any)`,
        );
      }
      const address = app.getHttpServer().address() as { port: number };
      httpUrl = `http://${config.httpHost === '0.0.0.0' ? '127.0.0.1' : config.httpHost}:${address.port}`;
    } else {
      await app.init();
    }
    // Only now, with the event consumers caught up (EventsRuntime's bootstrap), do other processes' requests come in.
    await app.get(CleaveServer).serveRequests();
    if (config.management !== undefined) {
      try {
        managementUrl = await management.listen(config.management.port, config.management.host);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
        throw new ConfigurationError(
          `management port ${config.management.port} on ${config.management.host} is already taken: set CLEAVE_MANAGEMENT_PORT to a free one (0 picks any, off serves none)`,
        );
      }
    }
  } catch (error) {
    await app.close().catch(() => undefined);
    await management.close();
    await traces?.shutdown();
    throw error;
  }
  const close = async () => {
    // Readiness fails first, and stays failed while the process drains; the management port closes last.
    const health = app.get(Health);
    health.beforeApplicationShutdown();
    if (config.shutdownDelayMs > 0) await sleep(config.shutdownDelayMs);
    try {
      await app.close();
    } finally {
      await management.close();
      // Last, so the spans of the shutdown's own work go out too.
      await traces?.shutdown();
    }
  };
  return { app, placement, httpUrl, managementUrl, bus: app.get(MessageBus), close };
}

/** Counts and times every answered HTTP request by its route's template, so the series stay few. */
function measureHttp(app: NestFastifyApplication, metrics: Metrics): void {
  const fastify = app.getHttpAdapter().getInstance();
  // In flight from the first hook to the answer or the client leaving: counted down once, and only if counted up.
  const state = Symbol('in flight');
  type Tracked = { [state]?: 'in flight' | 'done' };
  fastify.addHook('onRequest', (request, _reply, done) => {
    (request as Tracked)[state] = 'in flight';
    metrics.httpInFlight(1);
    done();
  });
  const finished = (request: object) => {
    const tracked = request as Tracked;
    if (tracked[state] === 'done') return false;
    if (tracked[state] === 'in flight') metrics.httpInFlight(-1);
    tracked[state] = 'done';
    return true;
  };
  fastify.addHook('onResponse', (request, reply, done) => {
    if (finished(request))
      metrics.httpAnswered(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1_000);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    finished(request);
    done();
  });
}

/** Ends each request's server span when it is answered, named by its route's template. */
function traceHttp(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = knownHttpEntry(request.raw)?.span;
    if (span !== undefined) {
      const route = request.routeOptions.url;
      if (route !== undefined) {
        span.updateName(`${request.method} ${route}`);
        span.setAttribute(ATTR_HTTP_ROUTE, route);
      }
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    const span = knownHttpEntry(request.raw)?.span;
    if (span !== undefined) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'the client went away' });
      span.end();
    }
    done();
  });
}

/** The contexts a process's spans name it by: `all`, or the hosted ones in the deployment's order. */
function tracedServices(placement: Placement): string[] {
  return placement.hosted.size === placement.known.length ? ['all'] : placement.known.filter((c) => placement.hosted.has(c));
}
