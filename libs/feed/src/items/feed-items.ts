import { Injectable } from '@nestjs/common';
import { LessThan, type FindOptionsWhere } from 'typeorm';
import type { CreateFeedItemRequest, FeedItemView, ListFeedItemsRequest, TransactionV1 } from '@cleave/contracts';
import { CleaveError, ContextDatabase, newEntityId, sql } from '@cleave/platform';
import type { EntityManager } from 'typeorm';
import { formatMoney } from '../spending/wording';
import { FeedItem } from './feed-item.entity';
import { FeedErrors } from '@cleave/contracts';

/** What {@link transactionItem} gives values for; `type` is 'transaction' and the image and URL are null. */
export const TRANSACTION_ITEM_COLUMNS = 'id, account_id, title, body, transaction_id, created_at';

const addItem = sql(
  'feed.add-transaction',
  `INSERT INTO feed_items (${TRANSACTION_ITEM_COLUMNS}, type) VALUES (?, ?, ?, ?, ?, ?, 'transaction') ON CONFLICT (transaction_id) DO NOTHING`,
);

/** An account's feed: one item per transaction, and the custom items apps post. */
@Injectable()
export class FeedItems {
  constructor(private readonly db: ContextDatabase) {}

  /** Newest first by when each item happened; items of the same time in the order they arrived. */
  async list(request: ListFeedItemsRequest): Promise<FeedItemView[]> {
    return this.db.read(async (em) => {
      const accountId = request.accountId;
      let where: FindOptionsWhere<FeedItem>[] = [{ accountId }];
      if (request.before) {
        const cursor = await em.findOneBy(FeedItem, { id: request.before, accountId });
        if (!cursor) {
          const message = `before names no item of this feed: ${request.before}`;
          throw CleaveError.ofField(FeedErrors.badParam, { field: 'before', rule: 'feedItemId', message });
        }
        where = [
          { accountId, createdAt: LessThan(cursor.createdAt) },
          { accountId, createdAt: cursor.createdAt, seq: LessThan(cursor.seq) },
        ];
      }
      const rows = await em.find(FeedItem, { where, order: { createdAt: 'DESC', seq: 'DESC' }, take: request.limit ?? 50 });
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

  /** A transaction's item ({@link transactionItem}), written once however often its event arrives. */
  async add(em: EntityManager, item: readonly unknown[]): Promise<void> {
    // One statement: an item already there for the transaction (a unique key) makes it a no-op.
    await this.db.run(em, addItem, item);
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

/**
 * A transaction's item: the values of {@link TRANSACTION_ITEM_COLUMNS}, for a statement that writes it along
 * with what else the transaction changes (on PostgreSQL, where a statement is a round trip).
 */
export function transactionItem(tx: TransactionV1): readonly unknown[] {
  const title = tx.merchant ? `${tx.merchant.emoji} ${tx.merchant.name}`.trim() : tx.description;
  return [newEntityId('feeditem'), tx.accountId, title.slice(0, 200), transactionItemBody(tx), tx.id, tx.created];
}

/** What a transaction's item says of it as it stands: `-£19.15`, `+£100.00`, `£60.00 declined`, `£19.15 reversed`. */
export function transactionItemBody(tx: TransactionV1): string {
  const amount = formatMoney(Math.abs(tx.amount), tx.currency);
  if (tx.status === 'declined' || tx.status === 'reversed') return `${amount} ${tx.status}`;
  return tx.amount < 0 ? `-${amount}` : `+${amount}`;
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
