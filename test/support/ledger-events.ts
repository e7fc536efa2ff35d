import { jetstream } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { newEntityId } from '@cleave/platform';
import type { RunningBank } from './cleave-http';

/** A NATS connection as one of a locked-down bank's service roles, with that role's own reply inbox. */
export function connectAs(bank: RunningBank, role: string): Promise<NatsConnection> {
  return connect({
    servers: bank.nats!.url,
    user: role,
    pass: bank.security!.passwords[role],
    inboxPrefix: `_INBOX.${bank.security!.prefix}.${role}`,
  });
}

/** A transaction as the ledger's events carry it, for tests that publish what the ledger would (or wouldn't). */
export function ledgerTransaction(accountId: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  const created = new Date().toISOString();
  return {
    id: newEntityId('tx'),
    accountId,
    amount: -123,
    currency: 'GBP',
    created,
    description: 'Published By A Test',
    category: 'general',
    settled: '',
    metadata: {},
    notes: '',
    isLoad: false,
    status: 'pending',
    ...fields,
  };
}

/** Publishes one ledger transaction event to a bank's stream as a lone event (its fields as headers). */
export async function publishTransactionEvent(
  nc: NatsConnection,
  bank: RunningBank,
  event: 'created' | 'updated',
  transaction: Record<string, unknown>,
  options: { id?: string; time?: string } = {},
): Promise<string> {
  const id = options.id ?? newEntityId('evt');
  const h = natsHeaders();
  h.set('cleave-event-time', options.time ?? new Date().toISOString());
  h.set('cleave-aggregate-id', String(transaction.accountId));
  await jetstream(nc).publish(`${bank.security!.prefix}.evt.ledger.transaction-${event}.v1`, JSON.stringify({ transaction }), {
    msgID: id,
    headers: h,
  });
  return id;
}
