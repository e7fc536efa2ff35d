import { Controller } from '@nestjs/common';
import {
  LedgerEventNames,
  WebhooksPatterns,
  type ListDeadLettersRequest,
  type ListDeliveriesRequest,
  type ListWebhooksRequest,
  type RegisterWebhookRequest,
  type ReplayDeadLetterRequest,
  type DiscardDeadLetterRequest,
  type TransactionEventV1,
  type WebhookIdRequest,
} from '@cleave/contracts';
import { DeadLetters, Handles, OnEvents, type DeliveredEvent } from '@cleave/platform';
import { Deliveries } from './deliveries/deliveries';
import { Registrations } from './registrations/registrations';

/** The webhooks context's bus adapter. */
@Controller()
export class WebhooksHandlers {
  constructor(
    private readonly registrations: Registrations,
    private readonly deliveries: Deliveries,
    private readonly deadLetters: DeadLetters,
  ) {}

  @OnEvents(LedgerEventNames.TransactionCreated)
  async onTransactionsCreated(events: ReadonlyArray<DeliveredEvent<TransactionEventV1>>) {
    await this.deliveries.enqueue('transaction.created', events);
  }

  @OnEvents(LedgerEventNames.TransactionUpdated)
  async onTransactionsUpdated(events: ReadonlyArray<DeliveredEvent<TransactionEventV1>>) {
    await this.deliveries.enqueue('transaction.updated', events);
  }

  @Handles(WebhooksPatterns.Register)
  onRegister(request: RegisterWebhookRequest) {
    return this.registrations.register(request);
  }

  @Handles(WebhooksPatterns.List)
  onList(request: ListWebhooksRequest) {
    return this.registrations.list(request);
  }

  @Handles(WebhooksPatterns.Get)
  onGet(request: WebhookIdRequest) {
    return this.registrations.get(request);
  }

  @Handles(WebhooksPatterns.Delete)
  onDelete(request: WebhookIdRequest) {
    return this.registrations.delete(request);
  }

  @Handles(WebhooksPatterns.ListDeliveries)
  onListDeliveries(request: ListDeliveriesRequest) {
    return this.deliveries.list(request);
  }

  @Handles(WebhooksPatterns.ListDeadLetters)
  onListDeadLetters(request: ListDeadLettersRequest) {
    return this.deadLetters.list('webhooks', request.includeReplayed, request.after);
  }

  @Handles(WebhooksPatterns.ReplayDeadLetter)
  onReplayDeadLetter(request: ReplayDeadLetterRequest) {
    return this.deadLetters.replay('webhooks', request.id);
  }

  @Handles(WebhooksPatterns.DiscardDeadLetter)
  onDiscardDeadLetter(request: DiscardDeadLetterRequest) {
    return this.deadLetters.discard('webhooks', request.id);
  }
}
