import { Injectable } from '@nestjs/common';
import { Ids, LedgerErrors } from '@cleave/contracts';
import type { AnnotateTransactionRequest, GetTransactionRequest, ListTransactionsRequest, TransactionView } from '@cleave/contracts';
import { CleaveError, ContextDatabase } from '@cleave/platform';
import { isISO8601 } from 'class-validator';
import { Brackets } from 'typeorm';
import { LedgerAccount } from '../books/ledger-account.entity';
import { Transaction } from './transaction.entity';
import { TransactionJournal } from './transaction-journal';
import { transactionView } from './transaction.view';

/** The customer-facing transaction list of a book, oldest first, and annotations on it. */
@Injectable()
export class TransactionsHandler {
  constructor(
    private readonly db: ContextDatabase,
    private readonly journal: TransactionJournal,
  ) {}

  list(request: ListTransactionsRequest): Promise<TransactionView[]> {
    return this.db.read(async (em) => {
      if (!(await em.existsBy(LedgerAccount, { id: request.accountId })))
        throw CleaveError.notFound(`no ledger account ${request.accountId}`);
      const query = em.createQueryBuilder(Transaction, 't').where('t.account_id = :accountId', { accountId: request.accountId });
      if (request.since !== undefined) {
        if (Ids.transaction.test(request.since)) {
          const after = await em.findOneBy(Transaction, { id: request.since, accountId: request.accountId });
          if (!after)
            throw CleaveError.ofField(LedgerErrors.badParam, {
              field: 'since',
              rule: 'transactionId',
              message: `since: no transaction ${request.since} on this account`,
            });
          query.andWhere(
            new Brackets((b) =>
              b
                .where('t.created_at > :afterCreated', { afterCreated: after.createdAt })
                .orWhere('(t.created_at = :afterCreated AND t.id > :afterId)', { afterId: after.id }),
            ),
          );
        } else {
          query.andWhere('t.created_at > :since', { since: isoOrThrow('since', request.since) });
        }
      }
      if (request.before !== undefined) query.andWhere('t.created_at < :before', { before: isoOrThrow('before', request.before) });
      const rows = await query
        .orderBy('t.created_at', 'ASC')
        .addOrderBy('t.id', 'ASC')
        .limit(request.limit ?? 100)
        .getMany();
      return rows.map(transactionView);
    });
  }

  async get(request: GetTransactionRequest): Promise<TransactionView> {
    const row = await this.db.read((em) => em.findOneBy(Transaction, { id: request.transactionId }));
    if (!row) throw CleaveError.notFound(`no transaction ${request.transactionId}`);
    return transactionView(row);
  }

  annotate(request: AnnotateTransactionRequest): Promise<TransactionView> {
    return this.db.transaction(async (em) => {
      const row = await em.findOneBy(Transaction, { id: request.transactionId });
      if (!row) throw CleaveError.notFound(`no transaction ${request.transactionId}`);
      const metadata = JSON.parse(row.metadata) as Record<string, string>;
      for (const { key, value } of request.metadata ?? []) {
        if (value === '') delete metadata[key];
        else metadata[key] = value;
      }
      if (Object.keys(metadata).length > 50)
        throw CleaveError.of(LedgerErrors.tooMuchMetadata, 'a transaction keeps at most 50 metadata keys');
      const changes = { metadata: JSON.stringify(metadata), ...(request.notes === undefined ? {} : { notes: request.notes }) };
      return transactionView(await this.journal.update(em, row.id, changes));
    });
  }
}

/**
 * A time as stored (ISO 8601 in UTC with milliseconds, a four-digit year), so comparisons as text hold. Only
 * ISO 8601 is taken: `Date.parse` alone reads `0`, `-1` and `March 7` as times, and a six-digit year
 * (`+275760-…`) written out sorts before every stored one.
 */
function isoOrThrow(field: string, value: string): string {
  const ms = isISO8601(value, { strict: true, strictSeparator: true }) ? Date.parse(value) : Number.NaN;
  const iso = Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
  if (iso === undefined || !/^\d{4}-/.test(iso))
    throw CleaveError.ofField(LedgerErrors.badParam, {
      field,
      rule: 'isISO8601',
      message: `${field} must be a time (ISO 8601, years 0000-9999)${field === 'since' ? ' or a transaction id' : ''}`,
    });
  return iso;
}
