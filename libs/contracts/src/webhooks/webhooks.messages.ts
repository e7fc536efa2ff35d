import { IsInt, IsOptional, IsUrl, Matches, Max, Min } from 'class-validator';
import { HTTP_URL, Ids } from '../ids';
import { Text } from '../text';

/** Registers a URL to receive an account's transaction events. */
export class RegisterWebhookRequest {
  @Matches(Ids.account) accountId!: string;
  @Text(1, 2_048) @IsUrl(HTTP_URL) url!: string;
}

export class ListWebhooksRequest {
  @Matches(Ids.account) accountId!: string;
}

export class WebhookIdRequest {
  @Matches(Ids.webhook) webhookId!: string;
}

export class ListDeliveriesRequest {
  @Matches(Ids.webhook) webhookId!: string;
  @IsOptional() @IsInt() @Min(1) @Max(100) limit?: number;
}

/** A registered webhook. */
export interface WebhookView {
  readonly id: string;
  readonly accountId: string;
  readonly url: string;
  /** `disabled` after a long run of failed deliveries; register it again to resume. */
  readonly status: 'active' | 'disabled';
  readonly created: string;
  readonly disabledReason?: string;
  /** The signing secret: in the reply to registration only, never again. */
  readonly secret?: string;
}

/** One try at delivering an event. */
export interface DeliveryAttemptView {
  readonly at: string;
  /** The receiver's HTTP status, if it answered. */
  readonly statusCode?: number;
  readonly error?: string;
  readonly durationMs: number;
}

/** One event on its way to one webhook. */
export interface DeliveryView {
  readonly id: string;
  readonly webhookId: string;
  readonly eventId: string;
  /** `transaction.created` or `transaction.updated`. */
  readonly type: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: readonly DeliveryAttemptView[];
  /** ISO 8601, while pending. */
  readonly nextAttempt?: string;
  readonly created: string;
}
