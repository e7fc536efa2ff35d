import { Injectable } from '@nestjs/common';
import { LessThan } from 'typeorm';
import type { CreateFeedItemRequest, FeedItemView, ListFeedItemsRequest, TransactionV1 } from '@cleave/contracts';
import { CleaveError, ContextDatabase, newEntityId, sql } from '@cleave/platform';
import type { EntityManager } from 'typeorm';
import { formatMoney } from '../spending/wording';
import { FeedItem } from './feed-item.entity';
import { FeedErrors } from '@cleave/contracts';

const addItem = sql(
  'feed.add-transaction',
  "INSERT INTO feed_items (id, account_id, type, title, body, image_url, url, transaction_id, created_at) VALUES (?, ?, 'transaction', ?, ?, NULL, NULL, ?, ?) ON CONFLICT (transaction_id) DO NOTHING",
);

/** An account's feed: one item per transaction, and the custom items apps post. */
@Injectable()
export class FeedItems {
  constructor(private readonly db: ContextDatabase) {}

  async list(request: ListFeedItemsRequest): Promise<FeedItemView[]> {
    return this.db.read(async (em) => {
      let below: number | undefined;
      if (request.before) {
        const cursor = await em.findOneBy(FeedItem, { id: request.before, accountId: request.accountId });
        if (!cursor) throw CleaveError.of(FeedErrors.badParam, `before names no item of this feed: ${request.before}`);
        below = cursor.seq;
      }
      const rows = await em.find(FeedItem, {
        where: { accountId: request.accountId, ...(below === undefined ? {} : { seq: LessThan(below) }) },
        order: { seq: 'DESC' },
        take: request.limit ?? 50,
      });
      return rows.map(itemView);
    });
  }

  async create(request: CreateFeedItemRequest): Promise<FeedItemView> {
    const row = await this.db.transaction((em) =>
      this.insert(em, {
        accountId: request.accountId,
        type: 'basic',
        title: request.title,
        body: request.body ?? '',
        imageUrl: request.imageUrl ?? null,
        url: request.url ?? null,
        transactionId: null,
      }),
    );
    return itemView(row);
  }

  /** The feed item of a transaction, written once however often the event arrives. */
  async addTransaction(em: EntityManager, tx: TransactionV1): Promise<void> {
    const title = tx.merchant ? `${tx.merchant.emoji} ${tx.merchant.name}`.trim() : tx.description;
    const amount = formatMoney(Math.abs(tx.amount), tx.currency);
    const body = tx.status === 'declined' ? `${amount} declined` : tx.amount < 0 ? `-${amount}` : `+${amount}`;
    // One statement: an item already there for the transaction (a unique key) makes it a no-op.
    await this.db.run(em, addItem, [newEntityId('feeditem'), tx.accountId, title.slice(0, 200), body, tx.id, tx.created]);
  }

  private async insert(
    em: EntityManager,
    fields: Omit<FeedItem, 'seq' | 'id' | 'createdAt'>,
    createdAt = new Date().toISOString(),
  ): Promise<FeedItem> {
    const row = { ...fields, id: newEntityId('feeditem'), createdAt } as FeedItem;
    await em.insert(FeedItem, row);
    return row;
  }
}

function itemView(row: FeedItem): FeedItemView {
  return {
    id: row.id,
    accountId: row.accountId,
    type: row.type,
    title: row.title,
    body: row.body,
    ...(row.imageUrl ? { imageUrl: row.imageUrl } : {}),
    ...(row.url ? { url: row.url } : {}),
    ...(row.transactionId ? { transactionId: row.transactionId } : {}),
    created: row.createdAt,
  };
}
