import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  type HoldStatus,
  type HoldView,
  LedgerErrors,
  LedgerPatterns,
  type PlaceHoldRequest,
  type PostHoldRequest,
  type ReleaseHoldRequest,
  type VoidHoldRequest,
} from '@cleave/contracts';
import {
  claimIdempotency,
  CleaveError,
  ContextDatabase,
  currentContext,
  IDEMPOTENCY_COLUMNS,
  idempotencyRecord,
  isUniqueViolation,
  newEntityId,
  OUTBOX_COLUMNS,
  runIdempotent,
  sql,
} from '@cleave/platform';
import { Books, refusalOf } from '../books/books';
import type { LedgerAccountKind } from '../books/ledger-account.entity';
import { LedgerSettings } from '../ledger.settings';
import { Transaction } from '../transactions/transaction.entity';
import { TRANSACTION_COLUMNS, TransactionJournal } from '../transactions/transaction-journal';
import { newTransaction } from '../transactions/transaction.view';
import { Hold } from './hold.entity';
import { holdView } from './hold.view';

const insertHold = sql(
  'holds.place',
  'INSERT INTO ledger_holds (id, account_id, amount, currency, status, expires_at, transaction_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
);

/**
 * A hold placed in one PostgreSQL statement (one round trip, committed on its own): the reservation, a
 * conditional update that locks the balance's row, and, only when it reserved, the key's record, the hold,
 * its transaction and the transaction's event. A key already recorded fails the whole statement on its
 * primary key, reservation included.
 */
const placeAtOnce = sql(
  'holds.place-at-once',
  '-- PostgreSQL only',
  `WITH reserved AS (
    UPDATE ledger_accounts SET held = held + $1::bigint
    WHERE id = $2 AND currency = $3 AND kind = 'customer' AND posted - held >= $1::bigint RETURNING id
  ), claimed AS (
    INSERT INTO idempotency_records (${IDEMPOTENCY_COLUMNS}) SELECT $4, $5, $6, $7, $8 FROM reserved
  ), placed AS (
    INSERT INTO ledger_holds (id, account_id, amount, currency, status, expires_at, transaction_id, created_at)
    SELECT $9, $2, $1::bigint, $3, 'pending', $10, $11, $12 FROM reserved
  ), journaled AS (
    INSERT INTO ledger_transactions (${TRANSACTION_COLUMNS})
    SELECT $13, $14, $15::bigint, $16, $17, $18, $19::boolean, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30 FROM reserved
  ), reported AS (
    INSERT INTO outbox (${OUTBOX_COLUMNS}) SELECT $31, $32, $33, $34, $35, $36 FROM reserved
  )
  SELECT (SELECT count(*) FROM reserved)::int AS reserved, book.kind, book.currency, book.posted, book.held
  FROM (SELECT 1) AS one LEFT JOIN ledger_accounts AS book ON book.id = $2`,
);
/** What {@link placeAtOnce} returns: whether it reserved, and the book as the statement began (why it refused, if it did). */
interface PlacedAtOnce {
  reserved: number;
  kind: LedgerAccountKind | null;
  currency: string | null;
  posted: number | string | null;
  held: number | string | null;
}

/**
 * Holds: money reserved against a customer's available balance (a card authorisation), then posted for
 * any amount (the rest released), voided, or expired. Each change of state is a conditional update from
 * `pending`, so a post racing a void or an expiry has exactly one winner.
 */
@Injectable()
export class HoldsHandler {
  constructor(
    private readonly db: ContextDatabase,
    private readonly books: Books,
    private readonly journal: TransactionJournal,
    @Inject(LedgerSettings) private readonly settings: LedgerSettings,
  ) {}

  async place(request: PlaceHoldRequest): Promise<HoldView> {
    try {
      return await this.placeOnce(request);
    } catch (error) {
      // Another replica voided the hold (leaving its marker) while this one placed it: the void wins.
      if (request.holdId && isUniqueViolation(error, 'ledger_holds'))
        throw CleaveError.of(LedgerErrors.holdCancelled, `hold ${request.holdId} was cancelled before it was placed`);
      throw error;
    }
  }

  /**
   * The authorisation's hot path. On SQLite, five statements in one transaction: the key with its result,
   * the hold, its transaction, the transaction's event, and last the reservation (one conditional update:
   * the book is a customer's, in this currency, and can afford it). The reservation locks the balance's row
   * until the commit, so it comes last: payments on one balance queue for one statement and the commit,
   * not for every statement of the transaction (a burst on one account would otherwise run out of time). A
   * refusal rolls the rest back. On PostgreSQL, where each statement is a round trip, the same writes in
   * one statement ({@link placeAtOnce}). A cancellation marker already in place makes the hold's insert
   * fail (see {@link place}).
   */
  private placeOnce(request: PlaceHoldRequest): Promise<HoldView> {
    const now = Date.now();
    const hold: Hold = {
      id: request.holdId ?? newEntityId('hold'),
      accountId: request.accountId,
      amount: request.amount,
      currency: request.currency,
      status: 'pending',
      postedAmount: null,
      expiresAt: new Date(now + (request.expiresInSeconds ?? this.settings.CLEAVE_HOLD_EXPIRY_SECONDS) * 1000).toISOString(),
      transactionId: newEntityId('tx'),
      createdAt: new Date(now).toISOString(),
    };
    const transaction = newTransaction({
      id: hold.transactionId,
      accountId: hold.accountId,
      amount: -request.amount,
      currency: request.currency,
      description: request.description,
      category: request.category ?? 'general',
      status: 'pending',
      holdId: hold.id,
      merchant: request.merchant ? JSON.stringify(request.merchant) : null,
      createdAt: hold.createdAt,
    });
    const result = holdView(hold);
    if (this.db.engine === 'postgres') return this.placeAtOnce(request, hold, transaction, result);
    return this.db.transaction(async (em) => {
      const earlier = await claimIdempotency(this.db, em, LedgerPatterns.PlaceHold, request, result);
      if (earlier) return earlier.replay;
      await this.db.run(em, insertHold, [
        hold.id,
        hold.accountId,
        hold.amount,
        hold.currency,
        hold.status,
        hold.expiresAt,
        hold.transactionId,
        hold.createdAt,
      ]);
      await this.journal.create(em, transaction);
      await this.books.hold(this.db, em, hold.accountId, hold.amount, hold.currency);
      // A hold committed after the caller's deadline would hold money for a payment it was told failed.
      const deadline = currentContext()?.deadline;
      if (deadline !== undefined && deadline <= Date.now())
        throw CleaveError.timeout('the hold was ready only after the deadline; not placed');
      return result;
    });
  }

  /**
   * {@link placeOnce} on PostgreSQL. A repeat of a placed hold replays its first answer: the statement
   * fails on the key's record if it could reserve again, and reserves nothing if it couldn't. Still
   * waiting on the balance's row at the call's deadline, the statement is cancelled; one that commits just
   * past it is voided by its caller, which voids every hold of a payment it declined.
   */
  private async placeAtOnce(request: PlaceHoldRequest, hold: Hold, transaction: Transaction, result: HoldView): Promise<HoldView> {
    const key = idempotencyRecord(this.db, LedgerPatterns.PlaceHold, request, result);
    const created = this.journal.created(transaction);
    let row: PlacedAtOnce;
    try {
      row = (await this.db.get<PlacedAtOnce>(undefined, placeAtOnce, [
        hold.amount,
        hold.accountId,
        hold.currency,
        ...key.values,
        hold.id,
        hold.expiresAt,
        hold.transactionId,
        hold.createdAt,
        ...created.transaction,
        ...created.event,
      ]))!;
    } catch (error) {
      if (!isUniqueViolation(error, 'idempotency_records')) throw error;
      return (await key.earlier<HoldView>())!.replay;
    }
    if (row.reserved === 1) {
      this.journal.reported();
      return result;
    }
    const earlier = await key.earlier<HoldView>();
    if (earlier) return earlier.replay;
    // Why, from the book as the statement first saw it: its kind and currency don't change, the figure is for the message.
    const book = row.kind === null ? null : { kind: row.kind, currency: row.currency!, posted: Number(row.posted), held: Number(row.held) };
    return refusalOf(book, hold.accountId, hold.currency, hold.amount, true);
  }

  post(request: PostHoldRequest): Promise<HoldView> {
    return runIdempotent(this.db, LedgerPatterns.PostHold, request, async (em) => {
      const hold = await this.claim(em, request.holdId, 'posted', request.amount);
      const tx = await em.findOneByOrFail(Transaction, { id: hold.transactionId });
      const entryId = await this.books.postHold(em, { ...hold, description: tx.description }, request.amount);
      await this.journal.update(em, tx.id, { amount: -request.amount, status: 'settled', settledAt: new Date().toISOString(), entryId });
      return holdView({ ...hold, status: 'posted', postedAmount: request.amount });
    });
  }

  async void(request: VoidHoldRequest): Promise<HoldView> {
    try {
      return await this.voidOnce(request);
    } catch (error) {
      // Its placement committed while this marked it cancelled: it exists now, so void it as placed.
      if (request.cancelIfAbsent && isUniqueViolation(error)) return this.voidOnce(request);
      throw error;
    }
  }

  private voidOnce(request: VoidHoldRequest): Promise<HoldView> {
    return runIdempotent(this.db, LedgerPatterns.VoidHold, request, async (em) => {
      if (request.cancelIfAbsent && !(await em.existsBy(Hold, { id: request.holdId }))) {
        const now = new Date().toISOString();
        const tombstone: Hold = {
          id: request.holdId,
          accountId: '',
          amount: 0,
          currency: '',
          status: 'voided',
          postedAmount: null,
          expiresAt: now,
          transactionId: '',
          createdAt: now,
        };
        await em.insert(Hold, tombstone);
        return holdView(tombstone);
      }
      return this.release(em, request.holdId, 'voided');
    });
  }

  /** Releases part of a hold; releasing what is left voids it. */
  releasePart(request: ReleaseHoldRequest): Promise<HoldView> {
    return runIdempotent(this.db, LedgerPatterns.ReleaseHold, request, async (em) => {
      // The update comes before any read: it takes the hold's row lock, so what is read next is what this
      // release left (read first, two releases at once each took their part from the same amount).
      const result = await em
        .createQueryBuilder()
        .update(Hold)
        .set({ amount: () => 'amount - :release' })
        .where("id = :id AND status = 'pending' AND amount > :release", { id: request.holdId, release: request.amount })
        .execute();
      if (result.affected !== 1) {
        const hold = await em.findOneBy(Hold, { id: request.holdId });
        if (!hold) throw CleaveError.notFound(`no hold ${request.holdId}`);
        if (hold.status !== 'pending') throw CleaveError.of(LedgerErrors.holdNotPending, `hold ${hold.id} is ${hold.status}, not pending`);
        // No more left than this releases: releasing it all voids the hold.
        return this.release(em, hold.id, 'voided');
      }
      const hold = await em.findOneByOrFail(Hold, { id: request.holdId });
      await this.books.release(em, hold.accountId, request.amount);
      await this.journal.update(em, hold.transactionId, { amount: -hold.amount });
      return holdView(hold);
    });
  }

  /** Releases every pending hold past its expiry; safe to run from several replicas at once. */
  async expireDue(limit = 100): Promise<number> {
    const now = new Date().toISOString();
    const due = await this.db.read((em) =>
      em
        .createQueryBuilder(Hold, 'h')
        .select('h.id', 'id')
        .where("h.status = 'pending' AND h.expires_at <= :now", { now })
        .limit(limit)
        .getRawMany<{ id: string }>(),
    );
    let expired = 0;
    for (const { id } of due) {
      try {
        await this.db.transaction((em) => this.release(em, id, 'expired'));
        expired++;
      } catch (error) {
        // Posted or voided since it was read: nothing to release.
        if (!(error instanceof CleaveError && error.is(LedgerErrors.holdNotPending))) throw error;
      }
    }
    return expired;
  }

  private async release(em: EntityManager, holdId: string, status: 'voided' | 'expired'): Promise<HoldView> {
    const hold = await this.claim(em, holdId, status, null);
    await this.books.release(em, hold.accountId, hold.amount);
    await this.journal.update(em, hold.transactionId, { status: 'reversed' });
    return holdView({ ...hold, status });
  }

  /** Moves a hold out of `pending`, or says why it can't. */
  private async claim(em: EntityManager, holdId: string, status: HoldStatus, postedAmount: number | null): Promise<Hold> {
    const result = await em
      .createQueryBuilder()
      .update(Hold)
      .set({ status, postedAmount })
      .where("id = :holdId AND status = 'pending'", { holdId })
      .execute();
    const hold = await em.findOneBy(Hold, { id: holdId });
    if (!hold) throw CleaveError.notFound(`no hold ${holdId}`);
    if (result.affected !== 1) throw CleaveError.of(LedgerErrors.holdNotPending, `hold ${holdId} is ${hold.status}, not pending`);
    return { ...hold, status: 'pending', postedAmount: null };
  }
}
