import { Module } from '@nestjs/common';
import { LedgerEvents, WebhooksDependencies, WebhooksEvents, WebhooksRequests, type TransactionV1 } from '@cleave/contracts';
import { ContextDatabase, currentContext, newEntityId, rootContext, runWithContext } from '@cleave/platform';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startContexts, type ContextApp, type Storage } from '../../../test/support/context-app';
import { Deliveries } from '../src/deliveries/deliveries';
import { Registrations } from '../src/registrations/registrations';
import { WebhooksHandlers } from '../src/webhooks.handlers';
import { WebhooksModule } from '../src/webhooks.module';

@Module({})
class EventsOnly {}

const transaction = (accountId: string): TransactionV1 => ({
  id: newEntityId('tx'),
  accountId,
  amount: -250,
  currency: 'GBP',
  created: new Date().toISOString(),
  description: 'Corner Grocer',
  category: 'groceries',
  settled: '',
  metadata: {},
  notes: '',
  isLoad: false,
  status: 'pending',
});

/** Handles `transaction` as the event `eventId` would be, delivered once more each call. */
const deliver = (handlers: WebhooksHandlers, eventId: string, tx: TransactionV1) =>
  handlers.onTransactionsCreated([{ payload: { transaction: tx }, context: { ...rootContext({}, 5_000), eventId } }]);

describe.each<Storage>(['sqlite', 'postgres'])('webhook deliveries queued from events, on %s', (storage) => {
  let app: ContextApp;
  let handlers: WebhooksHandlers;
  let deliveries: Deliveries;
  beforeAll(async () => {
    app = await startContexts(
      storage,
      { requests: WebhooksRequests, events: { ...LedgerEvents, ...WebhooksEvents }, dependencies: { webhooks: WebhooksDependencies } },
      // The ledger only owns the events here: the test hands them to the handlers itself.
      { webhooks: WebhooksModule, ledger: EventsOnly },
      // Nothing listens on port 9: each try fails and waits a minute, so the queued rows stay put to be counted.
      { CLEAVE_WEBHOOKS_ALLOW_PRIVATE: 'true', CLEAVE_WEBHOOK_BACKOFF_MS: '60000' },
    );
    handlers = app.app.get(WebhooksHandlers, { strict: false });
    deliveries = app.app.get(Deliveries, { strict: false });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('takes a run of events for accounts with no webhook, as most are, in one statement and no transaction', async () => {
    const db = app.app.get(ContextDatabase, { strict: false });
    const run = Array.from({ length: 20 }, () => ({
      payload: { transaction: transaction(newEntityId('acc')) },
      context: { ...rootContext({}, 5_000), eventId: newEntityId('evt') },
    }));
    // What the handler asks of the database, told from the relay's and the dispatcher's work by its trace.
    const asked: string[] = [];
    const spies = (['all', 'get', 'run', 'transaction', 'read'] as const).map((method) => {
      const original = db[method].bind(db) as (...args: unknown[]) => unknown;
      return vi.spyOn(db, method).mockImplementation(((...args: unknown[]) => {
        if (currentContext()?.traceId === run[0]!.context.traceId) asked.push(method);
        return original(...args);
      }) as never);
    });
    try {
      // As the server runs a handler of runs: in the first event's context.
      await runWithContext(run[0]!.context, () => handlers.onTransactionsCreated(run));
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(asked).toEqual(['all']);
  });

  it('queues an event once per webhook however often it is delivered, with no inbox record', async () => {
    const account = newEntityId('acc');
    const registrations = app.app.get(Registrations, { strict: false });
    const hooks = await Promise.all([1, 2].map(() => registrations.register({ accountId: account, url: 'http://127.0.0.1:9/hook' })));
    const tx = transaction(account);
    const eventId = newEntityId('evt');
    await deliver(handlers, eventId, tx);
    // A redelivery, then a burst of them at once (two replicas, a replay): nothing is queued twice.
    await deliver(handlers, eventId, tx);
    await Promise.all(Array.from({ length: 8 }, () => deliver(handlers, eventId, tx)));
    for (const hook of hooks) {
      const queued = await deliveries.list({ webhookId: hook.id });
      expect(queued.map((d) => d.eventId)).toEqual([eventId]);
    }
    // Another event of the same transaction is another delivery.
    await deliver(handlers, newEntityId('evt'), tx);
    expect(await deliveries.list({ webhookId: hooks[0]!.id })).toHaveLength(2);
  });

  it("takes a run of events at once: one read for all their accounts, each event queued for its own account's webhooks", async () => {
    const [one, two, none] = [newEntityId('acc'), newEntityId('acc'), newEntityId('acc')];
    const registrations = app.app.get(Registrations, { strict: false });
    const [hookOfOne] = await Promise.all([registrations.register({ accountId: one, url: 'http://127.0.0.1:9/hook' })]);
    const hooksOfTwo = await Promise.all([1, 2].map(() => registrations.register({ accountId: two, url: 'http://127.0.0.1:9/hook' })));
    const txs = [transaction(one), transaction(none), transaction(two), transaction(one)];
    const eventIds = txs.map(() => newEntityId('evt'));
    const run = txs.map((tx, i) => ({ payload: { transaction: tx }, context: { ...rootContext({}, 5_000), eventId: eventIds[i] } }));
    await handlers.onTransactionsCreated(run);
    expect((await deliveries.list({ webhookId: hookOfOne!.id })).map((d) => d.eventId).sort()).toEqual([eventIds[0], eventIds[3]].sort());
    for (const hook of hooksOfTwo) expect((await deliveries.list({ webhookId: hook.id })).map((d) => d.eventId)).toEqual([eventIds[2]]);
    // Again, as a redelivered batch would be: nothing more.
    await handlers.onTransactionsCreated(run);
    expect(await deliveries.list({ webhookId: hookOfOne!.id })).toHaveLength(2);
  });
});
