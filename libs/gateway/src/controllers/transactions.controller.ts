import { Body, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { Ids, LedgerPatterns, type TransactionView } from '@cleave/contracts';
import { CleaveError, MessageBus } from '@cleave/platform';
import { AnnotateBody, ExpandQuery, TransactionsQuery } from '../dto/accounts.dto';
import { GatewayController } from '../http/gateway-controller.decorator';
import { ownTransactionJson } from '../http/views';
import { assertOwnsAccount, assertOwnsAccountOf, pathId, userId } from './path-ids';

const DEFAULT_PAGE = 30;

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
      // Monzo's default page.
      limit: query.limit ?? DEFAULT_PAGE,
    });
    const expand = query.expand?.includes('merchant') ?? false;
    return { transactions: transactions.map((t) => ownTransactionJson(t, userId(), expand)) };
  }

  @Get('transactions/:id')
  @ApiOperation({ summary: 'One transaction' })
  async get(@Param('id') id: string, @Query() query: ExpandQuery) {
    const tx = await this.owned(id);
    if (query.account_id !== undefined && query.account_id !== tx.accountId) throw CleaveError.notFound(`no transaction ${id}`);
    return { transaction: ownTransactionJson(tx, userId(), query.expand?.includes('merchant') ?? false) };
  }

  @Patch('transactions/:id')
  @ApiOperation({ summary: 'Annotate a transaction: metadata[key]=value (empty deletes), notes' })
  async annotate(@Param('id') id: string, @Body() body: AnnotateBody) {
    const tx = await this.owned(id);
    const { notes: notesKey, ...keys } = body.metadata ?? {};
    const metadata = Object.entries(keys).map(([key, value]) => ({ key, value }));
    // Monzo: "updating the notes key applies the value to the transaction's top-level notes property".
    const notes = body.notes ?? notesKey;
    const updated = await this.bus.send(LedgerPatterns.AnnotateTransaction, { transactionId: tx.id, metadata, notes });
    return { transaction: ownTransactionJson(updated, userId()) };
  }

  /** The transaction, if it is on one of the caller's accounts; anyone else's is not_found. */
  private async owned(id: string): Promise<TransactionView> {
    const tx = await this.bus.send(LedgerPatterns.GetTransaction, { transactionId: pathId('transaction', id, 'transaction') });
    if (!Ids.account.test(tx.accountId)) throw CleaveError.notFound(`no transaction ${id}`);
    await assertOwnsAccountOf(this.bus, tx.accountId, `no transaction ${id}`);
    return tx;
  }
}
