import { command, dependencies, query } from '../contract';
import { LedgerEventNames } from '../ledger/ledger.patterns';
import { DiscardDeadLetterRequest, ListDeadLettersRequest, ReplayDeadLetterRequest, type DeadLetterView } from '../dead-letters';
import { WebhooksPatterns } from './webhooks.patterns';
import {
  ListDeliveriesRequest,
  ListWebhooksRequest,
  RegisterWebhookRequest,
  WebhookIdRequest,
  type DeliveryView,
  type WebhookView,
} from './webhooks.messages';

/** The webhooks context's operations. */
export const WebhooksRequests = {
  [WebhooksPatterns.Register]: command(RegisterWebhookRequest).returns<WebhookView>({ requires: 'customer' }),
  [WebhooksPatterns.List]: query(ListWebhooksRequest).returns<WebhookView[]>({ requires: 'customer' }),
  [WebhooksPatterns.Get]: query(WebhookIdRequest).returns<WebhookView>({ requires: 'customer' }),
  [WebhooksPatterns.Delete]: command(WebhookIdRequest).returns<void>({ requires: 'customer' }),
  [WebhooksPatterns.ListDeliveries]: query(ListDeliveriesRequest).returns<DeliveryView[]>({ requires: 'customer' }),
  [WebhooksPatterns.ListDeadLetters]: query(ListDeadLettersRequest).returns<DeadLetterView[]>({ requires: 'admin' }),
  [WebhooksPatterns.ReplayDeadLetter]: command(ReplayDeadLetterRequest).returns<DeadLetterView>({ requires: 'admin' }),
  [WebhooksPatterns.DiscardDeadLetter]: command(DiscardDeadLetterRequest).returns<DeadLetterView>({ requires: 'admin' }),
} as const;

/** Webhooks deliver the ledger's transaction events. */
export const WebhooksDependencies = dependencies({
  consumes: [LedgerEventNames.TransactionCreated, LedgerEventNames.TransactionUpdated],
});

/** The webhooks context publishes no events. */
export const WebhooksEvents = {} as const;
