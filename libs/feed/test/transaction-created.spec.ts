import { Module } from '@nestjs/common';
import {
  FeedDependencies,
  FeedEvents,
  FeedEventNames,
  FeedRequests,
  LedgerEventNames,
  LedgerEvents,
  type FeedItemView,
  type TransactionV1,
} from '@cleave/contracts';
import {
  ContextDatabase,
  DeadLetters,
  EventBus,
  newEntityId,
  rootContext,
  runWithContext,
  sql,
  type EventEnvelope,
} from '@cleave/platform';
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
const notificationEventsOf = sql(
  'test.notification-events-of',
  'SELECT payload, context FROM outbox WHERE event = ? AND aggregate_id = ? ORDER BY seq',
);

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

  const eventContext = (eventId: string) => ({ ...rootContext({}, 5_000), eventId });
  const deliver = (eventId: string, tx: TransactionV1) =>
    handlers.onTransactionsCreated([{ payload: { transaction: tx }, context: eventContext(eventId) }]);
  const deliverUpdate = (eventId: string, tx: TransactionV1) =>
    runWithContext({ ...rootContext({}, 5_000), eventId }, () => handlers.onTransactionUpdated({ transaction: tx }));
  const notified = async (account: string) =>
    (await app.app.get(SpendingNotifications, { strict: false }).list({ accountId: account, limit: 100 })).map((n) => n.text).sort();

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

  it("keeps the day's total as payments settle at another amount and are reversed, each change counted once", async () => {
    const account = newEntityId('acc');
    const [coffee, lunch] = [payment(account, 1_000), payment(account, 500)];
    await deliver(newEntityId('evt'), coffee);
    await deliver(newEntityId('evt'), lunch);
    // Settled for more, delivered twice and then by several replicas at once, and republished under another id.
    const settled = { ...coffee, amount: -1_200, status: 'settled' as const, settled: new Date().toISOString() };
    const settledEvent = newEntityId('evt');
    await deliverUpdate(settledEvent, settled);
    await deliverUpdate(settledEvent, settled);
    await Promise.all(Array.from({ length: 4 }, () => deliverUpdate(settledEvent, settled)));
    await deliverUpdate(newEntityId('evt'), settled);
    await deliverUpdate(newEntityId('evt'), { ...lunch, status: 'reversed' });

    const dinner = payment(account, 300);
    await deliver(newEntityId('evt'), dinner);
    // 1,200 settled + 300 pending; the reversed 500 no longer counts.
    expect(await notified(account)).toContain("☕ £3.00 at Brightbird Espresso. You've spent £15.00 today.");
    // A payment on another day starts that day's total afresh; the first day's is untouched.
    const tomorrow = { ...payment(account, 700), created: new Date(Date.now() + 86_400_000).toISOString() };
    await deliver(newEntityId('evt'), tomorrow);
    await deliver(newEntityId('evt'), payment(account, 100));
    expect(await notified(account)).toEqual(
      [
        "☕ £10.00 at Brightbird Espresso. You've spent £10.00 today.",
        "☕ £5.00 at Brightbird Espresso. You've spent £15.00 today.",
        "☕ £3.00 at Brightbird Espresso. You've spent £15.00 today.",
        "☕ £7.00 at Brightbird Espresso. You've spent £7.00 today.",
        "☕ £1.00 at Brightbird Espresso. You've spent £16.00 today.",
      ].sort(),
    );
  });

  it("takes a run of events at once: each payment tells the day's total as it stood after it, in the run's order", async () => {
    const [mine, theirs] = [newEntityId('acc'), newEntityId('acc')];
    const before = payment(mine, 100);
    await deliver(newEntityId('evt'), before);
    // Of one time, so the feed keeps them in the order the run brought them.
    const at = new Date(Date.parse(before.created) + 1).toISOString();
    const [coffee, lunch, other] = [payment(mine, 250), payment(mine, 400), payment(theirs, 900)].map((tx) => ({ ...tx, created: at }));
    const declined = { ...payment(mine, 5_000), created: at, status: 'declined' as const, declineReason: 'insufficient_funds' };
    const topUp = { ...payment(mine, 0), created: at, amount: 2_000, merchant: undefined, description: 'Top up' };
    const contexts = [before, coffee, other, declined, lunch, topUp, coffee].map(() => eventContext(newEntityId('evt')));
    // A payment counted before and one repeated within the run are counted once and add nothing more.
    await handlers.onTransactionsCreated(
      [before, coffee, other, declined, lunch, topUp, coffee].map((tx, i) => ({ payload: { transaction: tx }, context: contexts[i]! })),
    );

    expect(await notified(mine)).toEqual(
      [
        "☕ £1.00 at Brightbird Espresso. You've spent £1.00 today.",
        "☕ £2.50 at Brightbird Espresso. You've spent £3.50 today.",
        "☕ £4.00 at Brightbird Espresso. You've spent £7.50 today.",
        'Your card was declined at Brightbird Espresso: insufficient funds',
      ].sort(),
    );
    expect(await notified(theirs)).toEqual(["☕ £9.00 at Brightbird Espresso. You've spent £9.00 today."]);
    // An item each, newest first in the order the run brought them.
    const items = await app.app.get(FeedItems, { strict: false }).list({ accountId: mine });
    expect(items.map((i) => i.transactionId)).toEqual([topUp.id, lunch.id, declined.id, coffee.id, before.id]);
    // Each notification's event continues the trace of the event that caused it.
    const db = app.app.get(ContextDatabase, { strict: false });
    const events = await db.all<{ payload: string; context: string }>(undefined, notificationEventsOf, [
      FeedEventNames.NotificationCreated,
      mine,
    ]);
    const traceOf = new Map(
      events.map((e) => [(JSON.parse(e.payload) as { notification: { transactionId: string } }).notification.transactionId, e.context]),
    );
    expect(traceOf.size).toBe(4);
    for (const [tx, context] of [
      [coffee, contexts[1]!],
      [declined, contexts[3]!],
      [lunch, contexts[4]!],
    ] as const)
      expect(JSON.parse(traceOf.get(tx.id)!).traceparent).toContain(context.traceId);
    // The day goes on from the run's total.
    await deliver(newEntityId('evt'), payment(mine, 50));
    expect(await notified(mine)).toContain("☕ £0.50 at Brightbird Espresso. You've spent £8.00 today.");
  });

  it('lists the feed newest first by when each item happened, however late it arrived, and pages through it', async () => {
    const account = newEntityId('acc');
    const items = app.app.get(FeedItems, { strict: false });
    const minuteAgo = Date.now() - 60_000;
    const posted = await items.create({ accountId: account, type: 'basic', title: 'Posted now' });
    // Happened before the post, arrived after it (the feed was catching up).
    const late = { ...payment(account, 100), created: new Date(minuteAgo).toISOString() };
    await deliver(newEntityId('evt'), late);
    // Two of one time: arrival order between them.
    const tie = new Date(minuteAgo - 1_000).toISOString();
    const [first, second] = [payment(account, 200), payment(account, 300)].map((tx) => ({ ...tx, created: tie }));
    await deliver(newEntityId('evt'), first);
    await deliver(newEntityId('evt'), second);
    const oldest = { ...payment(account, 400), created: new Date(minuteAgo - 2_000).toISOString() };
    await deliver(newEntityId('evt'), oldest);

    const expected = [posted.id, late.id, second.id, first.id, oldest.id];
    const label = (item: FeedItemView) => item.transactionId ?? item.id;
    expect((await items.list({ accountId: account })).map(label)).toEqual(expected);
    const paged: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await items.list({ accountId: account, limit: 2, ...(before ? { before } : {}) });
      if (page.length === 0) break;
      paged.push(...page.map(label));
      before = page.at(-1)!.id;
    }
    expect(paged).toEqual(expected);
  });

  it('is given a run the bus brings as one; when an event of it fails, the others are applied alone and that one is parked', async () => {
    const bus = app.app.get(EventBus, { strict: false });
    const account = newEntityId('acc');
    const envelope = (payload: unknown) => ({
      id: newEntityId('evt'),
      event: LedgerEventNames.TransactionCreated,
      time: new Date().toISOString(),
      aggregateId: account,
      payload,
    });
    const publish = async (envelopes: EventEnvelope[]) => {
      let failure: unknown;
      expect(await bus.publishBatch(envelopes, (error) => (failure = error))).toBe(envelopes.length);
      expect(failure).toBeUndefined();
    };
    await publish([payment(account, 100), payment(account, 200), payment(account, 300)].map((tx) => envelope({ transaction: tx })));
    const refused = envelope({ transaction: { id: 'not a transaction' } });
    await publish([envelope({ transaction: payment(account, 1) }), refused, envelope({ transaction: payment(account, 2) })]);

    expect(await notified(account)).toEqual(
      [
        "☕ £1.00 at Brightbird Espresso. You've spent £1.00 today.",
        "☕ £2.00 at Brightbird Espresso. You've spent £3.00 today.",
        "☕ £3.00 at Brightbird Espresso. You've spent £6.00 today.",
        "☕ £0.01 at Brightbird Espresso. You've spent £6.01 today.",
        "☕ £0.02 at Brightbird Espresso. You've spent £6.03 today.",
      ].sort(),
    );
    const parked = await app.app.get(DeadLetters, { strict: false }).list('feed');
    expect(parked.filter((letter) => letter.eventId === refused.id)).toHaveLength(1);
  });
});
