import { Injectable } from '@nestjs/common';
import {
  transactionJson,
  type DeliveryAttemptView,
  type DeliveryView,
  type ListDeliveriesRequest,
  type TransactionEventV1,
} from '@cleave/contracts';
import { ContextDatabase, newEntityId, sql, type DeliveredEvent } from '@cleave/platform';
import { Delivery } from './delivery.entity';

// The active webhooks of a run of events' accounts, in one statement however many events the run has.
const activeHooks = sql(
  'webhooks.active-of-accounts',
  "SELECT id, account_id, created_at FROM webhooks WHERE account_id IN (SELECT value FROM json_each(?)) AND status = 'active'",
  "SELECT id, account_id, created_at FROM webhooks WHERE account_id = ANY($1::text[]) AND status = 'active'",
);
const queueDelivery = sql(
  'deliveries.queue',
  "INSERT INTO webhook_deliveries (id, webhook_id, event_id, type, body, status, attempts, next_attempt_at, leased_until, created_at) VALUES (?, ?, ?, ?, ?, 'pending', '[]', ?, NULL, ?) ON CONFLICT (webhook_id, event_id) DO NOTHING",
);

/** Signalled on the webhooks database once new deliveries have committed: the dispatcher wakes. */
export const DELIVERIES_QUEUED = 'webhook-deliveries-queued';

/** The delivery log: one row per event per webhook, written when the event is taken in. */
@Injectable()
export class Deliveries {
  constructor(private readonly db: ContextDatabase) {}

  /**
   * Queues each event of a run for each of its account's active webhooks. Idempotent without an inbox: a
   * delivery is unique per webhook and event, so a redelivered event queues nothing twice, and a run of
   * events for accounts with no webhook (most of them) costs one indexed read and no transaction.
   */
  async enqueue(
    type: 'transaction.created' | 'transaction.updated',
    events: ReadonlyArray<DeliveredEvent<TransactionEventV1>>,
  ): Promise<number> {
    const accounts = [...new Set(events.map((e) => e.payload.transaction.accountId))];
    const hooks = await this.db.all<{ id: string; account_id: string; created_at: string }>(undefined, activeHooks, [
      this.db.engine === 'postgres' ? accounts : JSON.stringify(accounts),
    ]);
    if (hooks.length === 0) return 0;
    const now = new Date().toISOString();
    let queued = 0;
    await this.db.transaction(async (em) => {
      for (const { payload, context } of events) {
        const tx = payload.transaction;
        const data = JSON.stringify(transactionJson(tx, true));
        const eventId = context.eventId ?? newEntityId('evt');
        for (const hook of hooks) {
          if (hook.account_id !== tx.accountId) continue;
          // A webhook hears what happens after it is registered, though older events may be delivered late
          // (an events stream made anew republishes what the outboxes kept).
          if (context.eventTime !== undefined && context.eventTime < hook.created_at) continue;
          const id = newEntityId('whdel');
          // The ids a receiver deduplicates on go in the body, which is signed: headers are not, and a captured
          // delivery replayed under a new Cleave-Delivery-Id was taken as a new one.
          const body = `{"type":${JSON.stringify(type)},"delivery_id":${JSON.stringify(id)},"event_id":${JSON.stringify(eventId)},"data":${data}}`;
          await this.db.run(em, queueDelivery, [id, hook.id, eventId, type, body, now, now]);
          queued++;
        }
      }
      this.db.signalAfterCommit(em, DELIVERIES_QUEUED);
    });
    return queued;
  }

  async list(request: ListDeliveriesRequest): Promise<DeliveryView[]> {
    const rows = await this.db.read((em) =>
      em.find(Delivery, { where: { webhookId: request.webhookId }, order: { createdAt: 'DESC' }, take: request.limit ?? 50 }),
    );
    return rows.map(deliveryView);
  }
}

function deliveryView(row: Delivery): DeliveryView {
  return {
    id: row.id,
    webhookId: row.webhookId,
    eventId: row.eventId,
    type: row.type,
    status: row.status,
    attempts: JSON.parse(row.attempts) as DeliveryAttemptView[],
    ...(row.status === 'pending' && row.nextAttemptAt ? { nextAttempt: row.nextAttemptAt } : {}),
    created: row.createdAt,
  };
}
