import { Body, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { AccountsPatterns } from '@cleave/contracts';
import { MessageBus } from '@cleave/platform';
import { CreatePotBody, DepositBody, PotsQuery, WithdrawBody } from '../dto/accounts.dto';
import { GatewayController } from '../http/gateway-controller.decorator';
import { potJson } from '../http/views';
import { pathId } from './path-ids';

/** Savings pots. */
@GatewayController('pots')
export class PotsController {
  constructor(private readonly bus: MessageBus) {}

  @Get('pots')
  @ApiOperation({ summary: "A current account's pots" })
  async list(@Query() query: PotsQuery) {
    const pots = await this.bus.send(AccountsPatterns.ListPots, { currentAccountId: query.current_account_id });
    return { pots: pots.map(potJson) };
  }

  @Post('pots')
  @ApiOperation({ summary: 'Create a pot' })
  async create(@Body() body: CreatePotBody) {
    return potJson(await this.bus.send(AccountsPatterns.CreatePot, { currentAccountId: body.current_account_id, name: body.name }));
  }

  @Put('pots/:id/deposit')
  @ApiOperation({ summary: 'Move money into a pot; dedupe_id makes a retry happen once' })
  async deposit(@Param('id') id: string, @Body() body: DepositBody) {
    const pot = await this.bus.send(AccountsPatterns.DepositToPot, {
      potId: pathId('pot', id, 'pot'),
      accountId: body.source_account_id,
      amount: body.amount,
      dedupeId: body.dedupe_id,
    });
    return potJson(pot);
  }

  @Put('pots/:id/withdraw')
  @ApiOperation({ summary: 'Move money out of a pot; dedupe_id makes a retry happen once' })
  async withdraw(@Param('id') id: string, @Body() body: WithdrawBody) {
    const pot = await this.bus.send(AccountsPatterns.WithdrawFromPot, {
      potId: pathId('pot', id, 'pot'),
      accountId: body.destination_account_id,
      amount: body.amount,
      dedupeId: body.dedupe_id,
    });
    return potJson(pot);
  }
}
