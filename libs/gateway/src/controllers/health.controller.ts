import { Controller, Get, HttpCode, Inject, Logger, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { CleaveError, contextOf, ContractRegistry, EventBus, NATS_TRANSPORT, PLACEMENT, type NatsTransport, type Placement } from '@cleave/platform';
import { MonzoErrorFilter } from '../http/monzo-error.filter';

const PROBE_EVERY_MS = 1_000;

/** Liveness and readiness of this process. */
@ApiExcludeController()
@Controller()
@UseFilters(MonzoErrorFilter)
export class HealthController {
  /** A pattern of each context the gateway calls over NATS: what readiness probes. */
  private readonly probes: ReadonlyMap<string, string>;
  private lastProbe: { at: number; silent: Promise<string[]> } | undefined;
  private lastDetails = '';
  private readonly log = new Logger('Health');

  constructor(
    @Inject(NATS_TRANSPORT) private readonly nats: NatsTransport | null,
    private readonly events: EventBus,
    registry: ContractRegistry,
    @Inject(PLACEMENT) placement: Placement,
  ) {
    const remote = registry.dependenciesOf('gateway').calls.filter((p) => !placement.hosted.has(contextOf(p)));
    const probes = new Map<string, string>();
    for (const pattern of remote) if (!probes.has(contextOf(pattern))) probes.set(contextOf(pattern), pattern);
    this.probes = probes;
  }

  @Get('healthz')
  @HttpCode(200)
  live() {
    return { status: 'ok' };
  }

  /**
   * Ready while NATS is connected, every subscription and consumer of this process is up, and every context
   * it calls has an instance answering (probed at most once a second).
   */
  @Get('readyz')
  async ready() {
    if (this.nats !== null && !this.nats.isConnected) throw CleaveError.unavailable('NATS is unreachable', 'nats_disconnected');
    // Anyone can ask: the answer names what is wrong in general terms, the log says exactly what.
    const subscriptions = this.nats?.problems() ?? [];
    const consumers = this.events.problems();
    const reasons = [
      ...(subscriptions.length > 0 ? [`${subscriptions.length} NATS subscription(s) down`] : []),
      ...(consumers.length > 0 ? [`${consumers.length} event subscription(s) or consumer(s) down`] : []),
    ];
    if (this.nats !== null && this.probes.size > 0) {
      if (this.lastProbe === undefined || Date.now() - this.lastProbe.at > PROBE_EVERY_MS) this.lastProbe = { at: Date.now(), silent: this.nats.silentContexts(this.probes) };
      const silent = await this.lastProbe.silent;
      if (silent.length > 0) reasons.push(`no instance answers for ${silent.join(', ')}`);
    }
    const details = [...subscriptions, ...consumers].join('; ');
    if (details !== this.lastDetails) {
      if (details) this.log.warn(`not ready: ${details}`);
      this.lastDetails = details;
    }
    if (reasons.length > 0) throw CleaveError.unavailable(`not ready: ${reasons.join('; ')}`, 'not_ready');
    return { status: 'ok', nats: this.nats === null ? 'not used' : 'connected' };
  }
}
