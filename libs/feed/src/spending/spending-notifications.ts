import { Inject, Injectable } from '@nestjs/common';
import { MoreThan, Not, type EntityManager } from 'typeorm';
import { FeedEventNames, type ListNotificationsRequest, type NotificationV1, type TransactionV1 } from '@cleave/contracts';
import { ContextDatabase, localDateIn, newEntityId, Outbox, OUTBOX_COLUMNS, runWithContext, sql, type CallContext } from '@cleave/platform';
import { FeedSettings } from '../feed.settings';
import { TRANSACTION_ITEM_COLUMNS, transactionItemBody } from '../items/feed-items';
import { Notification } from './notification.entity';
import { declineText, spendText } from './wording';

const COUNTED = ['pending', 'settled'];
/** What a payment adds to its day, in SQL: its amount while {@link COUNTED}. */
const COUNTED_AMOUNT = `CASE WHEN status IN (${COUNTED.map((status) => `'${status}'`).join(', ')}) THEN amount ELSE 0 END`;

const countPayment = sql(
  'spend.count-payment',
  'INSERT INTO card_spend (transaction_id, account_id, amount, currency, status, local_day) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (transaction_id) DO NOTHING',
);
// The day's total is kept as payments come and change, so telling it is one row however many the day has.
const addToDay = sql(
  'spend.add-to-day',
  'INSERT INTO card_spend_days (account_id, currency, local_day, total) VALUES (?, ?, ?, ?) ON CONFLICT (account_id, currency, local_day) DO UPDATE SET total = card_spend_days.total + excluded.total RETURNING total',
);
const dayTotal = sql('spend.day-total', 'SELECT total FROM card_spend_days WHERE account_id = ? AND currency = ? AND local_day = ?');
/**
 * Which change of a payment is newer than what is kept, so an update delivered late (a dead letter replayed
 * after a later one was applied) can't put an older state back: a payment only changes while pending, and
 * while pending only shrinks (a partial reversal); settled and reversed are final.
 */
const NEWER = `status = 'pending' AND (? <> 'pending' OR ? <= amount)`;
// A changed payment moves its day by what it now counts less what it counted, read before it changes.
const recountDay = sql(
  'spend.recount-day',
  `INSERT INTO card_spend_days (account_id, currency, local_day, total)
   SELECT account_id, currency, local_day, ? - ${COUNTED_AMOUNT} FROM card_spend WHERE transaction_id = ? AND ${NEWER}
   ON CONFLICT (account_id, currency, local_day) DO UPDATE SET total = card_spend_days.total + excluded.total`,
);
const recountPayment = sql('spend.recount-payment', `UPDATE card_spend SET amount = ?, status = ? WHERE transaction_id = ? AND ${NEWER}`);
// The payment's feed item says what it now is (cleared for more with a tip, partly or wholly reversed), when
// the change was newer than what is kept.
const reviseItem = sql('feed.revise-item', 'UPDATE feed_items SET body = ? WHERE transaction_id = ?');
const notifyOnce = sql(
  'notifications.add',
  'INSERT INTO notifications (id, account_id, kind, text, transaction_id, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (transaction_id) DO NOTHING',
);
// On PostgreSQL, where each statement is a round trip, a run of new transactions is two statements however
// many it has. The first writes every feed item, counts every card payment, adds the counted ones to their
// days and tells each the day's total as it stood after it (the day's new total less what this run's later
// payments added); a payment counted before tells the day's total as it was. The second writes the
// notifications with their events. Rows go in the run's order, so items and events keep it.
const countRun = sql(
  'spend.count-run',
  '-- PostgreSQL only',
  `WITH run AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[])
      WITH ORDINALITY AS r(item_id, account_id, title, body, transaction_id, created_at, amount, currency, status, local_day, ord)
  ), item AS (
    INSERT INTO feed_items (${TRANSACTION_ITEM_COLUMNS}, type)
    SELECT item_id, account_id, title, body, transaction_id, created_at, 'transaction' FROM run ORDER BY ord
    ON CONFLICT (transaction_id) DO NOTHING
  ), counted AS (
    INSERT INTO card_spend (transaction_id, account_id, amount, currency, status, local_day)
    SELECT transaction_id, account_id, amount, currency, status, local_day FROM run WHERE amount IS NOT NULL ORDER BY ord
    ON CONFLICT (transaction_id) DO NOTHING
    RETURNING transaction_id, account_id, currency, local_day, ${COUNTED_AMOUNT} AS counted
  ), added AS (
    INSERT INTO card_spend_days (account_id, currency, local_day, total)
    -- In one order of keys, so two replicas applying overlapping runs can't deadlock on the days they share.
    SELECT account_id, currency, local_day, sum(counted) FROM counted WHERE counted <> 0
    GROUP BY account_id, currency, local_day ORDER BY account_id, currency, local_day
    ON CONFLICT (account_id, currency, local_day) DO UPDATE SET total = card_spend_days.total + excluded.total
    RETURNING account_id, currency, local_day, total
  ), later AS (
    SELECT c.transaction_id, c.account_id, c.currency, c.local_day, COALESCE(sum(c.counted) OVER (
      PARTITION BY c.account_id, c.currency, c.local_day ORDER BY r.ord DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ), 0) AS after
    -- A transaction the run brings twice counts where it first came.
    FROM counted c JOIN (SELECT transaction_id, min(ord) AS ord FROM run GROUP BY transaction_id) r USING (transaction_id)
  )
  SELECT later.transaction_id, COALESCE(added.total, 0) - later.after AS total
  FROM later LEFT JOIN added USING (account_id, currency, local_day)
  UNION ALL
  SELECT r.transaction_id, COALESCE(d.total, 0) FROM run r
  LEFT JOIN card_spend_days d ON d.account_id = r.account_id AND d.currency = r.currency AND d.local_day = r.local_day
  WHERE r.amount IS NOT NULL AND NOT EXISTS (SELECT 1 FROM counted c WHERE c.transaction_id = r.transaction_id)`,
);
const notifyRun = sql(
  'notifications.add-run',
  '-- PostgreSQL only',
  `WITH run AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
      WITH ORDINALITY AS r(id, account_id, kind, text, transaction_id, created_at, event_id, event, aggregate_id, payload, context, event_created_at, ord)
  ), notified AS (
    INSERT INTO notifications (id, account_id, kind, text, transaction_id, created_at)
    SELECT id, account_id, kind, text, transaction_id, created_at FROM run ORDER BY ord
    ON CONFLICT (transaction_id) DO NOTHING RETURNING id
  )
  INSERT INTO outbox (${OUTBOX_COLUMNS})
  SELECT event_id, event, aggregate_id, payload, context, event_created_at FROM run JOIN notified USING (id) ORDER BY ord`,
);
// The row is locked as it is read: an update delivered twice at once moves the day once. Only a newer
// state is taken (see NEWER); a payment not counted yet (its creation parked as a dead letter) is counted
// from the update, and its creation, replayed later, then changes nothing.
const recountPaymentAndDay = sql(
  'spend.recount-payment-and-day',
  '-- PostgreSQL only',
  `WITH counted_now AS (
    INSERT INTO card_spend (transaction_id, account_id, amount, currency, status, local_day)
    SELECT $3, $5, $1::bigint, $6, $2, $7 WHERE $8::boolean
    ON CONFLICT (transaction_id) DO NOTHING
    RETURNING account_id, currency, local_day, ${COUNTED_AMOUNT} AS counted
  ), before AS (
    SELECT account_id, currency, local_day, ${COUNTED_AMOUNT} AS counted
    FROM card_spend WHERE transaction_id = $3 AND status = 'pending' AND ($2 <> 'pending' OR $1::bigint <= amount) FOR UPDATE
  ), changed AS (
    UPDATE card_spend SET amount = $1::bigint, status = $2 WHERE transaction_id = $3 AND EXISTS (SELECT 1 FROM before)
  ), revised AS (
    UPDATE feed_items SET body = $9 WHERE transaction_id = $3 AND (EXISTS (SELECT 1 FROM before) OR EXISTS (SELECT 1 FROM counted_now))
  )
  INSERT INTO card_spend_days (account_id, currency, local_day, total)
  SELECT account_id, currency, local_day, counted FROM counted_now WHERE counted <> 0
  UNION ALL SELECT account_id, currency, local_day, $4::bigint - counted FROM before
  ON CONFLICT (account_id, currency, local_day) DO UPDATE SET total = card_spend_days.total + excluded.total`,
);
/**
 * The Mondo-style notification after each card payment, with the day's running total, and a note of each
 * decline. Kept from the ledger's transaction events; each notification is also published, so gateways can
 * push it to the apps listening live.
 */
@Injectable()
export class SpendingNotifications {
  constructor(
    private readonly db: ContextDatabase,
    private readonly outbox: Outbox,
    @Inject(FeedSettings) private readonly settings: FeedSettings,
  ) {}

  async list(request: ListNotificationsRequest): Promise<NotificationV1[]> {
    const { accountId, after } = request;
    const take = request.limit ?? 50;
    const rows = await this.db.read(async (em) => {
      if (after === undefined) return em.find(Notification, { where: { accountId }, order: { createdAt: 'DESC' }, take });
      // One the account doesn't have (another's, or garbage a client kept) has nothing after it.
      const last = await em.findOneBy(Notification, { id: after, accountId });
      if (!last) return [];
      // Two made in the same millisecond can't be told apart by their times: those beside the last one heard
      // come again, so none is missed (a client hears one twice, by the same id, at worst).
      return em.find(Notification, {
        where: [
          { accountId, createdAt: MoreThan(last.createdAt) },
          { accountId, createdAt: last.createdAt, id: Not(last.id) },
        ],
        order: { createdAt: 'ASC', id: 'ASC' },
        take,
      });
    });
    return rows.map(notificationView);
  }

  /**
   * A new transaction on SQLite, in its event's call context: a card payment counts towards the day and is
   * notified; a decline is notified.
   */
  async onCreated(em: EntityManager, tx: TransactionV1): Promise<void> {
    if (!isCardPayment(tx)) return;
    if (tx.status === 'declined') {
      await this.notify(em, tx, 'decline', declineNotice(tx));
      return;
    }
    const payment = this.paymentOf(tx);
    if (!COUNTED.includes(tx.status)) {
      await this.db.run(em, countPayment, payment);
      return;
    }
    let spent: number;
    if ((await this.db.run(em, countPayment, payment)) === 1) {
      spent = Number((await this.db.get<{ total: number }>(em, addToDay, [tx.accountId, tx.currency, payment[5], -tx.amount]))!.total);
    } else {
      spent = Number((await this.db.get<{ total: number }>(em, dayTotal, [tx.accountId, tx.currency, payment[5]]))?.total ?? 0);
    }
    await this.notify(em, tx, 'spend', spendNotice(tx, spent));
  }

  /**
   * A run of new transactions on PostgreSQL, in two statements: each one's feed item (`items`, its
   * `transactionItem` values), each card payment counted, and the notifications.
   */
  async onCreatedRun(
    em: EntityManager,
    run: ReadonlyArray<{ tx: TransactionV1; item: readonly unknown[]; context: CallContext }>,
  ): Promise<void> {
    const counting = columns(
      10,
      run.map(({ tx, item }) => {
        const payment = isCardPayment(tx) && tx.status !== 'declined' ? this.paymentOf(tx) : undefined;
        return [...item, payment?.[2] ?? null, tx.currency, tx.status, payment?.[5] ?? null];
      }),
    );
    const totals = new Map(
      (await this.db.all<{ transaction_id: string; total: string | number }>(em, countRun, counting)).map((row) => [
        row.transaction_id,
        Number(row.total),
      ]),
    );
    const notifications: unknown[][] = [];
    for (const { tx, context } of run) {
      if (!isCardPayment(tx)) continue;
      if (tx.status === 'declined') notifications.push(this.notification(tx, 'decline', declineNotice(tx), context));
      else if (COUNTED.includes(tx.status))
        notifications.push(this.notification(tx, 'spend', spendNotice(tx, totals.get(tx.id) ?? 0), context));
    }
    if (notifications.length === 0) return;
    // Once per transaction (a unique key): a replay notifies no one twice.
    if ((await this.db.run(em, notifyRun, columns(12, notifications))) > 0) this.outbox.written(FeedEventNames.NotificationCreated, em);
  }

  /** A settled, resized or reversed card payment changes what the day adds up to, and what its feed item says. */
  async onUpdated(em: EntityManager, tx: TransactionV1): Promise<void> {
    if (!tx.merchant) return;
    const amount = Math.max(0, -tx.amount);
    const counted = COUNTED.includes(tx.status) ? amount : 0;
    // A payment whose creation this context hasn't applied (parked, to be replayed) is counted from here.
    const countable = tx.amount <= 0 && tx.status !== 'declined';
    const [, , , , , localDay] = this.paymentOf(tx);
    if (this.db.engine === 'postgres') {
      const values = [amount, tx.status, tx.id, counted, tx.accountId, tx.currency, localDay, countable, transactionItemBody(tx)];
      await this.db.run(em, recountPaymentAndDay, values);
      return;
    }
    // The day moves only when the payment is there and this state is newer; then the payment changes.
    if ((await this.db.run(em, recountDay, [counted, tx.id, tx.status, amount])) === 1) {
      await this.db.run(em, recountPayment, [amount, tx.status, tx.id, tx.status, amount]);
      await this.db.run(em, reviseItem, [transactionItemBody(tx), tx.id]);
      return;
    }
    if (countable && (await this.db.run(em, countPayment, [tx.id, tx.accountId, amount, tx.currency, tx.status, localDay])) === 1) {
      if (counted !== 0) await this.db.run(em, addToDay, [tx.accountId, tx.currency, localDay, counted]);
      await this.db.run(em, reviseItem, [transactionItemBody(tx), tx.id]);
    }
  }

  /** What a card payment adds to `card_spend`: the values of {@link countPayment}. */
  private paymentOf(tx: TransactionV1): [string, string, number, string, string, string] {
    return [tx.id, tx.accountId, -tx.amount, tx.currency, tx.status, localDateIn(this.settings.CLEAVE_TIMEZONE, Date.parse(tx.created))];
  }

  private async notify(em: EntityManager, tx: TransactionV1, kind: Notification['kind'], text: string): Promise<void> {
    const row = notificationRow(tx, kind, text);
    // Once per transaction (a unique key): a replay notifies no one twice.
    if ((await this.db.run(em, notifyOnce, [row.id, row.accountId, row.kind, row.text, row.transactionId, row.createdAt])) === 0) return;
    await this.outbox.add(em, FeedEventNames.NotificationCreated, { notification: notificationView(row) }, tx.accountId);
  }

  /** A notification's values and its event's, for {@link notifyRun}; the event carries its own event's trace. */
  private notification(tx: TransactionV1, kind: Notification['kind'], text: string, context: CallContext): unknown[] {
    const row = notificationRow(tx, kind, text);
    const event = runWithContext(context, () =>
      this.outbox.row(FeedEventNames.NotificationCreated, { notification: notificationView(row) }, tx.accountId),
    );
    return [row.id, row.accountId, row.kind, row.text, row.transactionId, row.createdAt, ...event];
  }
}

/** What a declined card payment's notification says; one wording on every engine. */
function declineNotice(tx: TransactionV1): string {
  return declineText(tx.merchant!.name, tx.declineReason ?? 'declined');
}

/** What a counted card payment's notification says, with the day's total `spent` after it. */
function spendNotice(tx: TransactionV1, spent: number): string {
  return spendText(tx.merchant!.emoji, -tx.amount, tx.currency, tx.merchant!.name, spent);
}

/** A card payment: a merchant's, money going out. */
function isCardPayment(tx: TransactionV1): boolean {
  return tx.merchant !== undefined && tx.merchant !== null && tx.amount < 0;
}

function notificationRow(tx: TransactionV1, kind: Notification['kind'], text: string): Notification {
  return { id: newEntityId('notif'), accountId: tx.accountId, kind, text, transactionId: tx.id, createdAt: new Date().toISOString() };
}

/** Rows as a statement's array parameters: one array per column (`unnest($1::text[], …)`). */
function columns(count: number, rows: ReadonlyArray<readonly unknown[]>): unknown[][] {
  return Array.from({ length: count }, (_, column) => rows.map((row) => row[column]));
}

function notificationView(row: Notification): NotificationV1 {
  return { id: row.id, accountId: row.accountId, kind: row.kind, text: row.text, transactionId: row.transactionId, created: row.createdAt };
}
