import { command, query } from '../contract';
import { ListDeadLettersRequest, ReplayDeadLetterRequest, type DeadLetterView } from '../dead-letters';
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
  [WebhooksPatterns.Register]: command(RegisterWebhookRequest).returns<WebhookView>(),
  [WebhooksPatterns.List]: query(ListWebhooksRequest).returns<WebhookView[]>(),
  [WebhooksPatterns.Get]: query(WebhookIdRequest).returns<WebhookView>(),
  [WebhooksPatterns.Delete]: command(WebhookIdRequest).returns<void>(),
  [WebhooksPatterns.ListDeliveries]: query(ListDeliveriesRequest).returns<DeliveryView[]>(),
  [WebhooksPatterns.ListDeadLetters]: query(ListDeadLettersRequest).returns<DeadLetterView[]>(),
  [WebhooksPatterns.ReplayDeadLetter]: command(ReplayDeadLetterRequest).returns<DeadLetterView>(),
} as const;

/** The webhooks context publishes no events. */
export const WebhooksEvents = {} as const;
