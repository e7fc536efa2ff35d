import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CleaveError, newEntityId, sql, type ContextDatabase } from '@cleave/platform';
import { Entry, type EntryKind } from '../entries/entry.entity';
import { Posting } from '../entries/posting.entity';
import { LedgerAccount, type LedgerAccountKind } from './ledger-account.entity';
import { LedgerErrors } from '@cleave/contracts';

const BANK_KINDS = ['funding', 'settlement'];

const reserve = sql(
  'books.hold',
  "UPDATE ledger_accounts SET held = held + ? WHERE id = ? AND currency = ? AND kind = 'customer' AND posted - held >= ?",
);

/** The bank's own book of a kind and currency, e.g. `funding_GBP`. */
export const bankBookId = (kind: 'funding' | 'settlement', currency: string) => `${kind}_${currency}`;

/**
 * Every change to a balance goes through here, inside the caller's transaction. A movement is one entry
 * whose postings sum to zero, so per currency all books together always sum to zero; a customer's or
 * pot's book never goes below its holds. Each balance is changed by one conditional UPDATE, so
 * concurrent debits serialise on the row and can't overdraw it, on SQLite and on PostgreSQL alike.
 */
@Injectable()
export class Books {
  /** Loads a book, or fails with not_found. */
  async get(em: EntityManager, id: string): Promise<LedgerAccount> {
    const book = await em.findOneBy(LedgerAccount, { id });
    if (!book) throw CleaveError.notFound(`no ledger account ${id}`);
    return book;
  }

  /** Creates a book if it does not exist yet. */
  async ensure(em: EntityManager, id: string, kind: LedgerAccountKind, currency: string): Promise<void> {
    await em
      .createQueryBuilder()
      .insert()
      .into(LedgerAccount)
      .values({ id, kind, currency, posted: 0, held: 0, createdAt: new Date().toISOString() })
      .orIgnore()
      .execute();
  }

  /** Moves `amount` from one book to another as one balanced entry; returns the entry id. */
  async move(
    em: EntityManager,
    m: { kind: EntryKind; description: string; from: string; to: string; amount: number; currency: string },
  ): Promise<string> {
    if (m.from === m.to) throw CleaveError.of(LedgerErrors.sameAccount, 'a movement needs two different books');
    const entryId = newEntityId('ent');
    const now = new Date().toISOString();
    await em.insert(Entry, { id: entryId, kind: m.kind, description: m.description, createdAt: now });
    // Rows are changed in id order, so two opposite transfers can't deadlock on PostgreSQL.
    const changes: Array<[string, number]> = [
      [m.from, -m.amount],
      [m.to, m.amount],
    ];
    changes.sort(([a], [b]) => (a < b ? -1 : 1));
    for (const [id, delta] of changes) await this.changePosted(em, id, delta, m.currency);
    await em.insert(Posting, [
      { entryId, accountId: m.from, amount: -m.amount, currency: m.currency },
      { entryId, accountId: m.to, amount: m.amount, currency: m.currency },
    ]);
    return entryId;
  }

  /** Reserves `amount` of a customer's book's available balance, in one statement. */
  async hold(db: ContextDatabase, em: EntityManager, id: string, amount: number, currency: string): Promise<void> {
    if ((await db.run(em, reserve, [amount, id, currency, amount])) !== 1) await this.explainRefusal(em, id, currency, amount, true);
  }

  /** Releases `amount` of a book's holds. */
  async release(em: EntityManager, id: string, amount: number): Promise<void> {
    await em
      .createQueryBuilder()
      .update(LedgerAccount)
      .set({ held: () => 'held - :amount' })
      .where('id = :id', { id, amount })
      .execute();
  }

  /**
   * Turns a hold into a posting: releases `held` and takes `amount` (possibly more than was held, if the
   * book can afford the difference).
   */
  async settleHold(em: EntityManager, id: string, held: number, amount: number, currency: string): Promise<void> {
    const result = await em
      .createQueryBuilder()
      .update(LedgerAccount)
      .set({ held: () => 'held - :held', posted: () => 'posted - :amount' })
      .where('id = :id AND currency = :currency AND posted - held >= :extra', { id, currency, held, amount, extra: amount - held })
      .execute();
    if (result.affected !== 1) await this.explainRefusal(em, id, currency, amount - held);
  }

  /**
   * Posts a hold for `amount` as one entry from the customer's book to the bank's settlement book; the hold's
   * full amount is released from the customer's holds.
   */
  async postHold(
    em: EntityManager,
    hold: { accountId: string; amount: number; currency: string; description: string },
    amount: number,
  ): Promise<string | null> {
    await this.settleHold(em, hold.accountId, hold.amount, amount, hold.currency);
    if (amount === 0) return null;
    const settlement = bankBookId('settlement', hold.currency);
    await this.ensure(em, settlement, 'settlement', hold.currency);
    await this.changePosted(em, settlement, amount, hold.currency);
    const entryId = newEntityId('ent');
    await em.insert(Entry, { id: entryId, kind: 'hold_post', description: hold.description, createdAt: new Date().toISOString() });
    await em.insert(Posting, [
      { entryId, accountId: hold.accountId, amount: -amount, currency: hold.currency },
      { entryId, accountId: settlement, amount, currency: hold.currency },
    ]);
    return entryId;
  }

  private async changePosted(em: EntityManager, id: string, delta: number, currency: string): Promise<void> {
    const query = em
      .createQueryBuilder()
      .update(LedgerAccount)
      .set({ posted: () => 'posted + :delta' })
      .where('id = :id AND currency = :currency', { id, currency, delta });
    if (delta < 0) query.andWhere(`(kind IN (:...bank) OR posted - held >= :need)`, { bank: BANK_KINDS, need: -delta });
    const result = await query.execute();
    if (result.affected !== 1) await this.explainRefusal(em, id, currency, -delta);
  }

  /** Why a conditional update changed nothing: a missing book, another currency, or too little money. */
  private async explainRefusal(em: EntityManager, id: string, currency: string, needed: number, customerOnly = false): Promise<never> {
    return refusalOf(await em.findOneBy(LedgerAccount, { id }), id, currency, needed, customerOnly);
  }
}

/** Why a book as it was read refused `needed` of `currency`: it isn't there, isn't a customer's, is in another currency, or can't afford it. */
export function refusalOf(
  book: Pick<LedgerAccount, 'kind' | 'currency' | 'posted' | 'held'> | null,
  id: string,
  currency: string,
  needed: number,
  customerOnly = false,
): never {
  if (!book) throw CleaveError.notFound(`no ledger account ${id}`);
  if (customerOnly && book.kind !== 'customer')
    throw CleaveError.of(LedgerErrors.notACurrentAccount, 'holds are placed on current accounts');
  if (book.currency !== currency) {
    throw CleaveError.of(LedgerErrors.currencyMismatch, `ledger account ${id} holds ${book.currency}, not ${currency}`);
  }
  throw CleaveError.of(LedgerErrors.insufficientFunds, `insufficient funds: ${book.posted - book.held} available, ${needed} needed`);
}
