import { Controller, Get, HttpCode, Inject, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  CleaveError,
  contextOf,
  ContractRegistry,
  Health,
  type HealthIndicatorSession,
  NATS_TRANSPORT,
  PLACEMENT,
  type NatsTransport,
  type Placement,
} from '@cleave/platform';
import { MonzoErrorFilter } from '../http/monzo-error.filter';
import { GatewayErrors } from '@cleave/contracts';

const PROBE_EVERY_MS = 1_000;

/**
 * Liveness and readiness of this process on the API's own port, for load balancers that probe it there.
 * The same checks answer on the management port, with their details; here the answer names what is wrong
 * only in general terms, since anyone can ask.
 */
@ApiExcludeController()
@Controller()
@UseFilters(MonzoErrorFilter)
export class HealthController {
  /** A pattern of each context the gateway calls over NATS: what readiness probes. */
  private readonly probes: ReadonlyMap<string, string>;
  private lastProbe: { at: number; silent: Promise<string[]> } | undefined;

  constructor(
    @Inject(NATS_TRANSPORT) private readonly nats: NatsTransport | null,
    private readonly health: Health,
    registry: ContractRegistry,
    @Inject(PLACEMENT) placement: Placement,
  ) {
    const remote = registry.dependenciesOf('gateway').calls.filter((p) => !placement.hosted.has(contextOf(p)));
    const probes = new Map<string, string>();
    for (const pattern of remote) if (!probes.has(contextOf(pattern))) probes.set(contextOf(pattern), pattern);
    this.probes = probes;
    // The API can't serve while a context it calls has no instance answering.
    if (this.nats !== null && probes.size > 0) health.contribute((check) => this.callees(check('gateway.callees')));
  }

  @Get('healthz')
  @HttpCode(200)
  live() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async ready() {
    const { ready, result } = await this.health.readiness();
    if (!ready) {
      // Anyone can ask: the answer names the failing checks, not their errors (the management port has those).
      const failing = Object.entries(result.error ?? {}).map(([key, value]) =>
        key === 'gateway.callees' && typeof value?.message === 'string' ? value.message : key,
      );
      throw CleaveError.of(
        GatewayErrors.notReady,
        `not ready: ${result.status === 'shutting_down' ? 'shutting down' : failing.join('; ')}`,
      );
    }
    return { status: result.status, nats: this.nats === null ? 'not used' : 'connected' };
  }

  /** Every context the gateway calls over NATS has an instance answering (asked at most once a second). */
  private async callees(session: HealthIndicatorSession) {
    if (this.lastProbe === undefined || Date.now() - this.lastProbe.at > PROBE_EVERY_MS)
      this.lastProbe = { at: Date.now(), silent: this.nats!.silentContexts(this.probes) };
    const silent = await this.lastProbe.silent;
    return silent.length > 0
      ? session.down({ message: `no instance answers for ${silent.join(', ')}`, silent })
      : session.up({ contexts: [...this.probes.keys()] });
  }
}
