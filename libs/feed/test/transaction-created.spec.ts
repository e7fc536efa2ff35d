import { Module } from '@nestjs/common';
import { FeedDependencies, FeedEvents, FeedEventNames, FeedRequests, LedgerEvents, type TransactionV1 } from '@cleave/contracts';
import { ContextDatabase, newEntityId, rootContext, runWithContext, sql } from '@cleave/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContexts, type ContextApp, type Storage } from '../../../test/support/context-app';
import { FeedHandlers } from '../src/feed.handlers';
import { FeedModule } from '../src/feed.module';
import { FeedItems } from '../src/items/feed-items';
import { SpendingNotifications } from '../src/spending/spending-notifications';

@Module({})
class EventsOnly {}

const payment = (accountId: string, amount: number): TransactionV1 => ({
  id: newEntityId('tx'),
  accountId,
  amount: -amount,
  currency: 'GBP',
  created: new Date().toISOString(),
  description: 'Brightbird Espresso',
  category: 'eating_out',
  settled: '',
  metadata: {},
  notes: '',
  isLoad: false,
  status: 'pending',
  merchant: { id: newEntityId('merch'), name: 'Brightbird Espresso', category: 'eating_out', mcc: '5814', emoji: '☕' },
});

const notificationEvents = sql('test.notification-events', 'SELECT count(*) AS n FROM outbox WHERE event = ? AND aggregate_id = ?');

describe.each<Storage>(['sqlite', 'postgres'])('the feed taking in a new transaction, on %s', (storage) => {
  let app: ContextApp;
  let handlers: FeedHandlers;
  beforeAll(async () => {
    app = await startContexts(
      storage,
      { requests: FeedRequests, events: { ...LedgerEvents, ...FeedEvents }, dependencies: { feed: FeedDependencies } },
      // The ledger only owns the events here: the test hands them to the handlers itself.
      { feed: FeedModule, ledger: EventsOnly },
    );
    handlers = app.app.get(FeedHandlers, { strict: false });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const deliver = (eventId: string, tx: TransactionV1) =>
    runWithContext({ ...rootContext({}, 5_000), eventId }, () => handlers.onTransactionCreated({ transaction: tx }));

  it('adds one item, counts the payment once and notifies once, however often the event is delivered', async () => {
    const account = newEntityId('acc');
    const [first, second] = [payment(account, 250), payment(account, 400)];
    const eventId = newEntityId('evt');
    await deliver(eventId, first);
    // Redelivered, replayed under another id (a republished outbox), and delivered by two replicas at once.
    await deliver(eventId, first);
    await deliver(newEntityId('evt'), first);
    await Promise.all(Array.from({ length: 6 }, () => deliver(eventId, first)));
    await deliver(newEntityId('evt'), second);

    const items = await app.app.get(FeedItems, { strict: false }).list({ accountId: account });
    expect(items.map((i) => i.transactionId).sort()).toEqual([first.id, second.id].sort());
    const notifications = await app.app.get(SpendingNotifications, { strict: false }).list({ accountId: account });
    // The second payment's running total counts the first once.
    expect(notifications.map((n) => n.text).sort()).toEqual([
      "☕ £2.50 at Brightbird Espresso. You've spent £2.50 today.",
      "☕ £4.00 at Brightbird Espresso. You've spent £6.50 today.",
    ]);
    const db = app.app.get(ContextDatabase, { strict: false });
    const published = await db.get<{ n: number | string }>(undefined, notificationEvents, [FeedEventNames.NotificationCreated, account]);
    expect(Number(published!.n)).toBe(2);
  });
});
