import { Module } from '@nestjs/common';
import { LedgerEvents, WebhooksDependencies, WebhooksEvents, WebhooksRequests, type TransactionV1 } from '@cleave/contracts';
import { newEntityId, rootContext, runWithContext } from '@cleave/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  runWithContext({ ...rootContext({}, 5_000), eventId }, () => handlers.onTransactionCreated({ transaction: tx }));

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
});
