import { Controller, Get, HttpCode, Inject, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { CleaveError, EventBus, NATS_TRANSPORT, type NatsTransport } from '@cleave/platform';
import { MonzoErrorFilter } from '../http/monzo-error.filter';

/** Liveness and readiness of this process. */
@ApiExcludeController()
@Controller()
@UseFilters(MonzoErrorFilter)
export class HealthController {
  constructor(
    @Inject(NATS_TRANSPORT) private readonly nats: NatsTransport | null,
    private readonly events: EventBus,
  ) {}

  @Get('healthz')
  @HttpCode(200)
  live() {
    return { status: 'ok' };
  }

  /** Ready while NATS is connected and every subscription and consumer of this process is up. */
  @Get('readyz')
  ready() {
    if (this.nats !== null && !this.nats.isConnected) throw CleaveError.unavailable('NATS is unreachable', 'nats_disconnected');
    const problems = [...(this.nats?.problems() ?? []), ...this.events.problems()];
    if (problems.length > 0) throw CleaveError.unavailable(`not ready: ${problems.join('; ')}`, 'not_ready');
    return { status: 'ok', nats: this.nats === null ? 'not used' : 'connected' };
  }
}
