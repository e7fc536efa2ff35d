import { Inject, Injectable } from '@nestjs/common';
import type { BalanceReply } from '@cleave/contracts';
import { CleaveError, ContextDatabase, startOfDayIn } from '@cleave/platform';
import { In, MoreThanOrEqual, LessThan, Not, type EntityManager } from 'typeorm';
import { balanceOf } from '../books/balance.view';
import { LedgerAccount } from '../books/ledger-account.entity';
import { LedgerSettings } from '../ledger.settings';
import { Transaction } from '../transactions/transaction.entity';

/** Books' posted and available balances, with today's spending. */
@Injectable()
export class GetBalanceHandler {
  constructor(
    private readonly db: ContextDatabase,
    @Inject(LedgerSettings) private readonly settings: LedgerSettings,
  ) {}

  async one(accountId: string): Promise<BalanceReply> {
    const [reply] = await this.many([accountId]);
    return reply!;
  }

  many(accountIds: string[]): Promise<BalanceReply[]> {
    return this.db.read(async (em) => {
      const books = await em.findBy(LedgerAccount, { id: In(accountIds) });
      const byId = new Map(books.map((b) => [b.id, b]));
      const missing = accountIds.filter((id) => !byId.has(id));
      if (missing.length > 0) throw CleaveError.notFound(`no ledger account ${missing.join(', ')}`);
      const since = new Date(startOfDayIn(this.settings.CLEAVE_TIMEZONE)).toISOString();
      const replies: BalanceReply[] = [];
      for (const id of accountIds) replies.push(balanceOf(byId.get(id)!, await this.spentSince(em, id, since)));
      return replies;
    });
  }

  /** Money out since a time; moves to the owner's own pots, released authorisations and declines excluded. */
  private async spentSince(em: EntityManager, accountId: string, since: string): Promise<number> {
    const row = await em
      .createQueryBuilder(Transaction, 't')
      .select('COALESCE(SUM(t.amount), 0)', 'spent')
      .where({
        accountId,
        amount: LessThan(0),
        createdAt: MoreThanOrEqual(since),
        status: Not(In(['reversed', 'declined'])),
        category: Not('savings'),
      })
      .getRawOne<{ spent: string | number }>();
    return Number(row?.spent ?? 0);
  }
}
