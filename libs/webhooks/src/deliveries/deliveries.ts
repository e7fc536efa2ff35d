import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { transactionJson, type DeliveryAttemptView, type DeliveryView, type ListDeliveriesRequest, type TransactionV1 } from '@cleave/contracts';
import { ContextDatabase, currentContext, newEntityId } from '@cleave/platform';
import { Webhook } from '../registrations/webhook.entity';
import { Delivery } from './delivery.entity';

/** Signalled on the webhooks database once new deliveries have committed: the dispatcher wakes. */
export const DELIVERIES_QUEUED = 'webhook-deliveries-queued';

/** The delivery log: one row per event per webhook, written when the event is taken in. */
@Injectable()
export class Deliveries {
  constructor(private readonly db: ContextDatabase) {}

  /** Queues an event for each of the account's active webhooks, in the event's own inbox transaction. */
  async enqueue(em: EntityManager, type: 'transaction.created' | 'transaction.updated', tx: TransactionV1): Promise<number> {
    const eventId = currentContext()?.eventId ?? newEntityId('evt');
    const hooks = await em.find(Webhook, { where: { accountId: tx.accountId, status: 'active' } });
    const now = new Date().toISOString();
    const body = JSON.stringify({ type, data: transactionJson(tx, true) });
    for (const hook of hooks) {
      if (await em.existsBy(Delivery, { webhookId: hook.id, eventId })) continue;
      await em.insert(Delivery, { id: newEntityId('whdel'), webhookId: hook.id, eventId, type, body, status: 'pending', attempts: '[]', nextAttemptAt: now, leasedUntil: null, createdAt: now });
    }
    if (hooks.length > 0) this.db.signalAfterCommit(em, DELIVERIES_QUEUED);
    return hooks.length;
  }

  async list(request: ListDeliveriesRequest): Promise<DeliveryView[]> {
    const rows = await this.db.read((em) => em.find(Delivery, { where: { webhookId: request.webhookId }, order: { createdAt: 'DESC' }, take: request.limit ?? 50 }));
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
