import { Injectable } from '@nestjs/common';
import {
  transactionJson,
  type DeliveryAttemptView,
  type DeliveryView,
  type ListDeliveriesRequest,
  type TransactionV1,
} from '@cleave/contracts';
import { ContextDatabase, currentContext, newEntityId, sql } from '@cleave/platform';
import { Delivery } from './delivery.entity';

const activeHooks = sql('webhooks.active-of-account', "SELECT id FROM webhooks WHERE account_id = ? AND status = 'active'");
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
   * Queues an event for each of the account's active webhooks. Idempotent without an inbox: a delivery is
   * unique per webhook and event, so a redelivered event queues nothing twice, and an event for an account
   * with no webhook (most of them) costs one indexed read and no transaction.
   */
  async enqueue(type: 'transaction.created' | 'transaction.updated', tx: TransactionV1): Promise<number> {
    const hooks = await this.db.all<{ id: string }>(undefined, activeHooks, [tx.accountId]);
    if (hooks.length === 0) return 0;
    const eventId = currentContext()?.eventId ?? newEntityId('evt');
    const now = new Date().toISOString();
    const body = JSON.stringify({ type, data: transactionJson(tx, true) });
    await this.db.transaction(async (em) => {
      for (const hook of hooks) await this.db.run(em, queueDelivery, [newEntityId('whdel'), hook.id, eventId, type, body, now, now]);
      this.db.signalAfterCommit(em, DELIVERIES_QUEUED);
    });
    return hooks.length;
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
