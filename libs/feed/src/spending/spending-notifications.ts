import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { FeedEventNames, type ListNotificationsRequest, type NotificationV1, type TransactionV1 } from '@cleave/contracts';
import { ContextDatabase, localDateIn, newEntityId, Outbox, OUTBOX_COLUMNS, sql } from '@cleave/platform';
import { FeedSettings } from '../feed.settings';
import { TRANSACTION_ITEM_COLUMNS } from '../items/feed-items';
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
// A changed payment moves its day by what it now counts less what it counted, read before it changes.
const recountDay = sql(
  'spend.recount-day',
  `INSERT INTO card_spend_days (account_id, currency, local_day, total)
   SELECT account_id, currency, local_day, ? - ${COUNTED_AMOUNT} FROM card_spend WHERE transaction_id = ?
   ON CONFLICT (account_id, currency, local_day) DO UPDATE SET total = card_spend_days.total + excluded.total`,
);
const recountPayment = sql('spend.recount-payment', 'UPDATE card_spend SET amount = ?, status = ? WHERE transaction_id = ?');
const notifyOnce = sql(
  'notifications.add',
  'INSERT INTO notifications (id, account_id, kind, text, transaction_id, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (transaction_id) DO NOTHING',
);
// On PostgreSQL, where each statement is a round trip, the count with the day's total and the payment's feed
// item, and the notification with its event, are one statement each. A statement's parts can't see each other's
// rows: the day's total is what counting the payment made it, or, when it was counted before, what it was.
const countPaymentAndTotal = sql(
  'spend.count-payment-and-total',
  '-- PostgreSQL only',
  `WITH counted AS (
    INSERT INTO card_spend (transaction_id, account_id, amount, currency, status, local_day) VALUES ($1, $2, $3::bigint, $4, $5, $6)
    ON CONFLICT (transaction_id) DO NOTHING RETURNING amount
  ), item AS (
    INSERT INTO feed_items (${TRANSACTION_ITEM_COLUMNS}, type) VALUES ($7, $8, $9, $10, $11, $12, 'transaction')
    ON CONFLICT (transaction_id) DO NOTHING
  ), added AS (
    INSERT INTO card_spend_days (account_id, currency, local_day, total) SELECT $2, $4, $6, amount FROM counted
    ON CONFLICT (account_id, currency, local_day) DO UPDATE SET total = card_spend_days.total + excluded.total RETURNING total
  )
  SELECT COALESCE((SELECT total FROM added), (SELECT total FROM card_spend_days WHERE account_id = $2 AND currency = $4 AND local_day = $6), 0) AS total`,
);
// The row is locked as it is read: an update delivered twice at once moves the day once.
const recountPaymentAndDay = sql(
  'spend.recount-payment-and-day',
  '-- PostgreSQL only',
  `WITH before AS (
    SELECT account_id, currency, local_day, ${COUNTED_AMOUNT} AS counted
    FROM card_spend WHERE transaction_id = $3 FOR UPDATE
  ), changed AS (
    UPDATE card_spend SET amount = $1::bigint, status = $2 WHERE transaction_id = $3
  )
  INSERT INTO card_spend_days (account_id, currency, local_day, total) SELECT account_id, currency, local_day, $4::bigint - counted FROM before
  ON CONFLICT (account_id, currency, local_day) DO UPDATE SET total = card_spend_days.total + excluded.total`,
);
const notifyOnceAndReport = sql(
  'notifications.add-and-report',
  '-- PostgreSQL only',
  `WITH notified AS (
    INSERT INTO notifications (id, account_id, kind, text, transaction_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (transaction_id) DO NOTHING RETURNING id
  )
  INSERT INTO outbox (${OUTBOX_COLUMNS}) SELECT $7, $8, $9, $10, $11, $12 FROM notified`,
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
    const rows = await this.db.read((em) =>
      em.find(Notification, { where: { accountId: request.accountId }, order: { createdAt: 'DESC' }, take: request.limit ?? 50 }),
    );
    return rows.map(notificationView);
  }

  /**
   * A new transaction: a card payment counts towards the day and is notified; a decline is notified. On
   * PostgreSQL a counted payment's feed `item` (`transactionItem`'s values) is written in the same
   * statement as its count: true when it was, and the caller has nothing left to write.
   */
  async onCreated(em: EntityManager, tx: TransactionV1, item: readonly unknown[]): Promise<boolean> {
    if (!tx.merchant || tx.amount >= 0) return false;
    if (tx.status === 'declined') {
      await this.notify(em, tx, 'decline', declineText(tx.merchant.name, tx.declineReason ?? 'declined'));
      return false;
    }
    const day = localDateIn(this.settings.CLEAVE_TIMEZONE, Date.parse(tx.created));
    const payment = [tx.id, tx.accountId, -tx.amount, tx.currency, tx.status, day];
    if (!COUNTED.includes(tx.status)) {
      await this.db.run(em, countPayment, payment);
      return false;
    }
    const postgres = this.db.engine === 'postgres';
    let spent: number;
    if (postgres) {
      spent = Number((await this.db.get<{ total: string | number }>(em, countPaymentAndTotal, [...payment, ...item]))!.total);
    } else if ((await this.db.run(em, countPayment, payment)) === 1) {
      spent = Number((await this.db.get<{ total: number }>(em, addToDay, [tx.accountId, tx.currency, day, -tx.amount]))!.total);
    } else {
      spent = Number((await this.db.get<{ total: number }>(em, dayTotal, [tx.accountId, tx.currency, day]))?.total ?? 0);
    }
    await this.notify(em, tx, 'spend', spendText(tx.merchant.emoji, -tx.amount, tx.currency, tx.merchant.name, spent));
    return postgres;
  }

  /** A settled, resized or reversed card payment changes what the day adds up to. */
  async onUpdated(em: EntityManager, tx: TransactionV1): Promise<void> {
    if (!tx.merchant) return;
    const amount = Math.max(0, -tx.amount);
    const counted = COUNTED.includes(tx.status) ? amount : 0;
    if (this.db.engine === 'postgres') {
      await this.db.run(em, recountPaymentAndDay, [amount, tx.status, tx.id, counted]);
      return;
    }
    await this.db.run(em, recountDay, [counted, tx.id]);
    await this.db.run(em, recountPayment, [amount, tx.status, tx.id]);
  }

  private async notify(em: EntityManager, tx: TransactionV1, kind: Notification['kind'], text: string): Promise<void> {
    const row: Notification = {
      id: newEntityId('notif'),
      accountId: tx.accountId,
      kind,
      text,
      transactionId: tx.id,
      createdAt: new Date().toISOString(),
    };
    const values = [row.id, row.accountId, row.kind, row.text, row.transactionId, row.createdAt];
    // Once per transaction (a unique key): a replay notifies no one twice.
    if (this.db.engine === 'postgres') {
      const event = this.outbox.row(FeedEventNames.NotificationCreated, { notification: notificationView(row) }, tx.accountId);
      if ((await this.db.run(em, notifyOnceAndReport, [...values, ...event])) === 1)
        this.outbox.written(FeedEventNames.NotificationCreated, em);
      return;
    }
    if ((await this.db.run(em, notifyOnce, values)) === 0) return;
    await this.outbox.add(em, FeedEventNames.NotificationCreated, { notification: notificationView(row) }, tx.accountId);
  }
}

function notificationView(row: Notification): NotificationV1 {
  return { id: row.id, accountId: row.accountId, kind: row.kind, text: row.text, transactionId: row.transactionId, created: row.createdAt };
}
