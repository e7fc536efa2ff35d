import { Body, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { Ids, LedgerPatterns, type TransactionView } from '@cleave/contracts';
import { CleaveError, MessageBus } from '@cleave/platform';
import { AnnotateBody, ExpandQuery, TransactionsQuery } from '../dto/accounts.dto';
import { GatewayController } from '../http/gateway-controller.decorator';
import { transactionJson } from '../http/views';
import { assertOwnsAccount, assertOwnsAccountOf, pathId } from './path-ids';

/** An account's transactions, and annotations on them. Only the account's owner reaches them. */
@GatewayController('transactions')
export class TransactionsController {
  constructor(private readonly bus: MessageBus) {}

  @Get('transactions')
  @ApiOperation({ summary: "An account's transactions, oldest first" })
  async list(@Query() query: TransactionsQuery) {
    await assertOwnsAccount(this.bus, query.account_id);
    const transactions = await this.bus.send(LedgerPatterns.ListTransactions, {
      accountId: query.account_id,
      since: query.since,
      before: query.before,
      limit: query.limit,
    });
    const expand = query.expand?.includes('merchant') ?? false;
    return { transactions: transactions.map((t) => transactionJson(t, expand)) };
  }

  @Get('transactions/:id')
  @ApiOperation({ summary: 'One transaction' })
  async get(@Param('id') id: string, @Query() query: ExpandQuery) {
    return { transaction: transactionJson(await this.owned(id), query.expand?.includes('merchant') ?? false) };
  }

  @Patch('transactions/:id')
  @ApiOperation({ summary: 'Annotate a transaction: metadata[key]=value (empty deletes), notes' })
  async annotate(@Param('id') id: string, @Body() body: AnnotateBody) {
    const tx = await this.owned(id);
    const metadata = Object.entries(body.metadata ?? {}).map(([key, value]) => ({ key, value }));
    const updated = await this.bus.send(LedgerPatterns.AnnotateTransaction, { transactionId: tx.id, metadata, notes: body.notes });
    return { transaction: transactionJson(updated) };
  }

  /** The transaction, if it is on one of the caller's accounts; anyone else's is not_found. */
  private async owned(id: string): Promise<TransactionView> {
    const tx = await this.bus.send(LedgerPatterns.GetTransaction, { transactionId: pathId('transaction', id, 'transaction') });
    if (!Ids.account.test(tx.accountId)) throw CleaveError.notFound(`no transaction ${id}`);
    await assertOwnsAccountOf(this.bus, tx.accountId, `no transaction ${id}`);
    return tx;
  }
}
