import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { CleaveConfig } from '../config/cleave-config';
import { DiscoveryModule, DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { CleaveServer } from '../bus/cleave.server';
import { findDirectHandlers } from '../bus/handler-directory';
import { ContractRegistry, type ContractSet } from '../bus/contract-registry';
import { InProcessTransport } from '../bus/in-process.transport';
import { MessageBus } from '../bus/message-bus';
import { CallPolicies } from '../bus/call-policies';
import type { NatsTransport } from '../nats/nats.transport';
import type { Placement } from '../bus/placement';
import { ContextDatabases } from '../database/context-databases';
import { DeadLetters } from '../events/dead-letters';
import { EventBus } from '../events/event-bus';
import { EventsRuntime } from '../events/events-runtime';
import { TerminusModule } from '@nestjs/terminus';
import { Health } from './health';
import { Metrics } from '../observability/metrics';
import { PlatformMetrics } from './platform-metrics';

import { CLEAVE_CONFIG, NATS_TRANSPORT, PLACEMENT } from '../config/tokens';

export { CLEAVE_CONFIG, NATS_TRANSPORT, PLACEMENT } from '../config/tokens';

export interface PlatformModuleOptions {
  readonly config: CleaveConfig;
  readonly placement: Placement;
  readonly contracts: ContractSet;
  /** The connected NATS transport, when the placement needs one. */
  readonly nats: NatsTransport | null;
  /** The deployment's version, for `cleave_info`. */
  readonly version: string;
}

/** Closes the NATS connection after the server has stopped serving and in-flight work is done. */
@Injectable()
class NatsLifecycle implements OnApplicationShutdown {
  constructor(@Inject(NATS_TRANSPORT) private readonly nats: NatsTransport | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.nats?.close();
  }
}

/** The bus and its transports, wired for one placement. Global: every context module injects MessageBus. */
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformModuleOptions): DynamicModule {
    const { config, placement } = options;
    return {
      module: PlatformModule,
      global: true,
      // Terminus logs nothing itself: Health logs when readiness changes, not on every failed probe.
      imports: [DiscoveryModule, TerminusModule.forRoot({ logger: false })],
      providers: [
        MetadataScanner,
        {
          provide: Metrics,
          useValue: new Metrics({ version: options.version, services: [...placement.hosted], instance: config.instanceId }),
        },
        Health,
        { provide: CLEAVE_CONFIG, useValue: config },
        { provide: PLACEMENT, useValue: placement },
        { provide: ContractRegistry, useValue: new ContractRegistry(options.contracts) },
        { provide: NATS_TRANSPORT, useValue: options.nats },
        {
          provide: CleaveServer,
          useFactory: (
            registry: ContractRegistry,
            nats: NatsTransport | null,
            discovery: DiscoveryService,
            scanner: MetadataScanner,
            modules: ModulesContainer,
            metrics: Metrics,
          ) => {
            const server = new CleaveServer(
              registry,
              placement,
              nats ?? undefined,
              () => findDirectHandlers(discovery, scanner, modules),
              metrics,
            );
            server.setFaults(config.faults);
            server.limitInFlight(config.shedding.maxInFlight);
            return server;
          },
          inject: [ContractRegistry, NATS_TRANSPORT, DiscoveryService, MetadataScanner, ModulesContainer, Metrics],
        },
        {
          provide: InProcessTransport,
          useFactory: (server: CleaveServer) => new InProcessTransport(server),
          inject: [CleaveServer],
        },
        { provide: ContextDatabases, useValue: new ContextDatabases() },
        {
          provide: EventBus,
          useFactory: (server: CleaveServer, nats: NatsTransport | null, dbs: ContextDatabases) =>
            new EventBus(server, nats, dbs, config, config.events),
          inject: [CleaveServer, NATS_TRANSPORT, ContextDatabases],
        },
        {
          provide: DeadLetters,
          useFactory: (dbs: ContextDatabases, events: EventBus) => new DeadLetters(dbs, events),
          inject: [ContextDatabases, EventBus],
        },
        {
          provide: MessageBus,
          useFactory: (
            registry: ContractRegistry,
            local: InProcessTransport,
            nats: NatsTransport | null,
            events: EventBus,
            metrics: Metrics,
            health: Health,
          ) => {
            const policies = new CallPolicies(config.callPolicies, metrics);
            // An open circuit degrades readiness without failing it: this process still serves what doesn't need that
            // context. Each readiness check asks the contexts behind open circuits, and closes those that answer: a
            // restarted process was refused for seconds after /readyz said ready, waiting for the circuit to half-open.
            health.contribute(async (check) => {
              let open = policies.openCircuits();
              if (open.length > 0 && nats !== null) {
                const probes = new Map<string, string>();
                for (const context of open) {
                  const pattern = harmlessProbeOf(registry, placement.hosted, context);
                  if (pattern !== undefined) probes.set(context, pattern);
                }
                const silent = new Set(await nats.silentContexts(probes));
                for (const context of probes.keys()) if (!silent.has(context)) policies.heardFrom(context);
                open = policies.openCircuits();
              }
              return open.length > 0 ? check('bus.circuits').degraded({ open }) : check('bus.circuits').up();
            });
            return new MessageBus(registry, placement, local, nats ?? undefined, events, config, metrics, policies);
          },
          inject: [ContractRegistry, InProcessTransport, NATS_TRANSPORT, EventBus, Metrics, Health],
        },
        EventsRuntime,
        NatsLifecycle,
        PlatformMetrics,
      ],
      exports: [
        CLEAVE_CONFIG,
        PLACEMENT,
        ContractRegistry,
        NATS_TRANSPORT,
        CleaveServer,
        MessageBus,
        ContextDatabases,
        EventBus,
        DeadLetters,
        EventsRuntime,
        Metrics,
        Health,
      ],
    };
  }
}

/**
 * A pattern of `context` to ask whether anyone answers it, with no body and no principal, among those the
 * contexts hosted here call (a locked-down process may send nothing else): a query that needs a scope if there
 * is one (refused before anything runs), else any query, else whatever needs a scope.
 */
function harmlessProbeOf(registry: ContractRegistry, hosted: ReadonlySet<string>, context: string): string | undefined {
  const callable = new Set([...hosted].flatMap((caller) => registry.dependenciesOf(caller).calls));
  const routes = registry
    .patternsOf(context)
    .filter((pattern) => callable.has(pattern))
    .map((pattern) => registry.request(pattern)!);
  const pick =
    routes.find((r) => r.spec.kind === 'query' && r.spec.requires !== undefined) ??
    routes.find((r) => r.spec.kind === 'query') ??
    routes.find((r) => r.spec.requires !== undefined);
  return pick?.pattern;
}
