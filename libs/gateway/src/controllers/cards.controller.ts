import { Body, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { CardsPatterns } from '@cleave/contracts';
import { MessageBus } from '@cleave/platform';
import { CardLimitsBody, CardsQuery, CardStatusBody, IssueCardBody } from '../dto/cards.dto';
import { GatewayController } from '../http/gateway-controller.decorator';
import { cardJson } from '../http/views';
import { pathId } from './path-ids';

/** A customer's cards: issuing, freezing, cancelling, limits. */
@GatewayController('cards')
export class CardsController {
  constructor(private readonly bus: MessageBus) {}

  @Post('cards')
  @ApiOperation({ summary: 'Issue a card on an account (the full number is never stored or shown)' })
  async issue(@Body() body: IssueCardBody) {
    return cardJson(await this.bus.send(CardsPatterns.IssueCard, { accountId: body.account_id }));
  }

  @Get('cards')
  @ApiOperation({ summary: "An account's cards" })
  async list(@Query() query: CardsQuery) {
    const cards = await this.bus.send(CardsPatterns.ListCards, { accountId: query.account_id });
    return { cards: cards.map(cardJson) };
  }

  @Put('cards/:id/status')
  @ApiOperation({ summary: 'Freeze (FROZEN), unfreeze (ACTIVE) or cancel (CANCELLED, final) a card' })
  async status(@Param('id') id: string, @Body() body: CardStatusBody) {
    return cardJson(await this.bus.send(CardsPatterns.SetCardStatus, { cardId: pathId('card', id, 'card'), status: body.status }));
  }

  @Put('cards/:id/limits')
  @ApiOperation({ summary: 'Set per-transaction and per-day spending limits (0 removes one)' })
  async limits(@Param('id') id: string, @Body() body: CardLimitsBody) {
    const limit = (value: number | undefined) => (value === undefined ? undefined : value === 0 ? null : value);
    const card = await this.bus.send(CardsPatterns.SetCardLimits, {
      cardId: pathId('card', id, 'card'),
      perTransaction: limit(body.per_transaction),
      perDay: limit(body.per_day),
    });
    return cardJson(card);
  }
}
