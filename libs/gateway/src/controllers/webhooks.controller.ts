import { Body, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { WebhooksPatterns, type WebhookView } from '@cleave/contracts';
import { MessageBus } from '@cleave/platform';
import { DeliveriesQuery, RegisterWebhookBody, WebhooksQuery } from '../dto/events.dto';
import { GatewayController } from '../http/gateway-controller.decorator';
import { deliveryJson, webhookJson } from '../http/views';
import { assertOwnsAccount, assertOwnsAccountOf, pathId } from './path-ids';

/** Webhooks, as Monzo's API has them, with their delivery log. Only the account's owner reaches them. */
@GatewayController('webhooks')
export class WebhooksController {
  constructor(private readonly bus: MessageBus) {}

  @Post('webhooks')
  // Monzo answers 200, and clients check for it.
  @HttpCode(200)
  @ApiOperation({ summary: "Register a URL for an account's transaction events; the signing secret is in this reply only" })
  async register(@Body() body: RegisterWebhookBody) {
    await assertOwnsAccount(this.bus, body.account_id);
    return { webhook: webhookJson(await this.bus.send(WebhooksPatterns.Register, { accountId: body.account_id, url: body.url })) };
  }

  @Get('webhooks')
  @ApiOperation({ summary: "An account's webhooks" })
  async list(@Query() query: WebhooksQuery) {
    await assertOwnsAccount(this.bus, query.account_id);
    return { webhooks: (await this.bus.send(WebhooksPatterns.List, { accountId: query.account_id })).map(webhookJson) };
  }

  @Delete('webhooks/:id')
  @ApiOperation({ summary: 'Delete a webhook' })
  async delete(@Param('id') id: string) {
    const hook = await this.owned(id);
    await this.bus.send(WebhooksPatterns.Delete, { webhookId: hook.id });
    return {};
  }

  @Get('webhooks/:id/deliveries')
  @ApiOperation({ summary: "A webhook's deliveries, newest first, each with its tries" })
  async deliveries(@Param('id') id: string, @Query() query: DeliveriesQuery) {
    const hook = await this.owned(id);
    return {
      deliveries: (await this.bus.send(WebhooksPatterns.ListDeliveries, { webhookId: hook.id, limit: query.limit })).map(deliveryJson),
    };
  }

  /** The webhook, if it is on one of the caller's accounts; anyone else's is not_found. */
  private async owned(id: string): Promise<WebhookView> {
    const hook = await this.bus.send(WebhooksPatterns.Get, { webhookId: pathId('webhook', id, 'webhook') });
    await assertOwnsAccountOf(this.bus, hook.accountId, `no webhook ${id}`);
    return hook;
  }
}
