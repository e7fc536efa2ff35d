import { Body, Get, Param, Post, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { AccountsPatterns } from '@cleave/contracts';
import { MessageBus } from '@cleave/platform';
import { AccountIdQuery, AccountsQuery, OpenAccountBody, TopUpBody, TransferBody } from '../dto/accounts.dto';
import { GatewayController } from '../http/gateway-controller.decorator';
import { accountJson, balanceJson, ownTransactionJson } from '../http/views';
import { pathId, requireIdempotencyKey, userId } from './path-ids';

/** Accounts, balances, top-ups and transfers. */
@GatewayController('accounts')
export class AccountsController {
  constructor(private readonly bus: MessageBus) {}

  @Get('accounts')
  @ApiOperation({ summary: "The customer's accounts" })
  async list(@Query() query: AccountsQuery) {
    const accounts = await this.bus.send(AccountsPatterns.ListAccounts, { ownerId: userId() });
    const shown = accounts.map(accountJson);
    return { accounts: query.account_type === undefined ? shown : shown.filter((a) => a.type === query.account_type) };
  }

  @Post('accounts')
  @ApiOperation({ summary: 'Open a current account' })
  async open(@Body() body: OpenAccountBody) {
    return accountJson(
      await this.bus.send(AccountsPatterns.OpenAccount, {
        ownerId: userId(),
        currency: body.currency ?? 'GBP',
        description: body.description,
      }),
    );
  }

  @Get('balance')
  @ApiOperation({ summary: "An account's balance, with its pots in total_balance" })
  async balance(@Query() query: AccountIdQuery) {
    return balanceJson(await this.bus.send(AccountsPatterns.GetBalance, { accountId: query.account_id }));
  }

  @Post('accounts/:id/top-ups')
  @ApiOperation({ summary: 'Top an account up (needs an Idempotency-Key header)' })
  async topUp(@Param('id') id: string, @Body() body: TopUpBody) {
    requireIdempotencyKey();
    const tx = await this.bus.send(AccountsPatterns.TopUp, {
      accountId: pathId('account', id, 'account'),
      amount: body.amount,
      currency: body.currency,
      description: body.description,
    });
    return { transaction: ownTransactionJson(tx, userId()) };
  }

  @Post('transfers')
  @ApiOperation({ summary: 'Pay another account (needs an Idempotency-Key header)' })
  async transfer(@Body() body: TransferBody) {
    requireIdempotencyKey();
    const { debit } = await this.bus.send(AccountsPatterns.Transfer, {
      sourceAccountId: body.source_account_id,
      destinationAccountId: body.destination_account_id,
      amount: body.amount,
      currency: body.currency,
      description: body.description,
    });
    return { transaction: ownTransactionJson(debit, userId()) };
  }
}
