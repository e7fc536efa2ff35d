import { Controller, Get, HttpCode, Inject, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { CleaveError, NATS_TRANSPORT, type NatsTransport } from '@cleave/platform';
import { MonzoErrorFilter } from '../http/monzo-error.filter';

/** Liveness and readiness of this process. */
@ApiExcludeController()
@Controller()
@UseFilters(MonzoErrorFilter)
export class HealthController {
  constructor(@Inject(NATS_TRANSPORT) private readonly nats: NatsTransport | null) {}

  @Get('healthz')
  @HttpCode(200)
  live() {
    return { status: 'ok' };
  }

  @Get('readyz')
  ready() {
    if (this.nats !== null && !this.nats.isConnected) throw CleaveError.unavailable('NATS is unreachable', 'nats_disconnected');
    return { status: 'ok', nats: this.nats === null ? 'not used' : 'connected' };
  }
}
