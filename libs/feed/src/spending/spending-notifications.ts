import { Inject, Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { FeedEventNames, type ListNotificationsRequest, type NotificationV1, type TransactionV1 } from '@cleave/contracts';
import { ContextDatabase, localDateIn, newEntityId, Outbox } from '@cleave/platform';
import { FeedSettings } from '../feed.settings';
import { CardSpend } from './card-spend.entity';
import { Notification } from './notification.entity';
import { declineText, spendText } from './wording';

const COUNTED = ['pending', 'settled'];

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
    const rows = await this.db.read((em) => em.find(Notification, { where: { accountId: request.accountId }, order: { createdAt: 'DESC' }, take: request.limit ?? 50 }));
    return rows.map(notificationView);
  }

  /** A new transaction: a card payment counts towards the day and is notified; a decline is notified. */
  async onCreated(em: EntityManager, tx: TransactionV1): Promise<void> {
    if (!tx.merchant || tx.amount >= 0) return;
    if (tx.status === 'declined') {
      await this.notify(em, tx, 'decline', declineText(tx.merchant.name, tx.declineReason ?? 'declined'));
      return;
    }
    const day = localDateIn(this.settings.CLEAVE_TIMEZONE, Date.parse(tx.created));
    if (!(await em.existsBy(CardSpend, { transactionId: tx.id }))) {
      await em.insert(CardSpend, { transactionId: tx.id, accountId: tx.accountId, amount: -tx.amount, currency: tx.currency, status: tx.status, localDay: day });
    }
    if (!COUNTED.includes(tx.status)) return;
    const spent = await this.spentOn(em, tx.accountId, tx.currency, day);
    await this.notify(em, tx, 'spend', spendText(tx.merchant.emoji, -tx.amount, tx.currency, tx.merchant.name, spent));
  }

  /** A settled, resized or reversed card payment changes what the day adds up to. */
  async onUpdated(em: EntityManager, tx: TransactionV1): Promise<void> {
    if (!tx.merchant) return;
    await em.update(CardSpend, { transactionId: tx.id }, { amount: Math.max(0, -tx.amount), status: tx.status });
  }

  private async spentOn(em: EntityManager, accountId: string, currency: string, day: string): Promise<number> {
    const { total } = (await em
      .createQueryBuilder(CardSpend, 's')
      .select('COALESCE(SUM(s.amount), 0)', 'total')
      .where({ accountId, currency, localDay: day, status: In(COUNTED) })
      .getRawOne<{ total: string | number }>())!;
    return Number(total);
  }

  private async notify(em: EntityManager, tx: TransactionV1, kind: Notification['kind'], text: string): Promise<void> {
    if (await em.existsBy(Notification, { transactionId: tx.id })) return;
    const row: Notification = { id: newEntityId('notif'), accountId: tx.accountId, kind, text, transactionId: tx.id, createdAt: new Date().toISOString() };
    await em.insert(Notification, row);
    await this.outbox.add(em, FeedEventNames.NotificationCreated, { notification: notificationView(row) }, tx.accountId);
  }
}

function notificationView(row: Notification): NotificationV1 {
  return { id: row.id, accountId: row.accountId, kind: row.kind, text: row.text, transactionId: row.transactionId, created: row.createdAt };
}
