import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsUrl, Matches, Max, Min, ValidateNested } from 'class-validator';
import { HTTP_URL, Ids } from '../ids';
import { Text } from '../text';

/** An account's feed, newest first. */
export class ListFeedItemsRequest {
  @Matches(Ids.account) accountId!: string;
  @IsOptional() @IsInt() @Min(1) @Max(100) limit?: number;
  /** Only items older than this one. */
  @IsOptional() @Matches(Ids.feedItem) before?: string;
}

/** A custom feed item, as Monzo's `POST /feed` takes it (`type=basic`). */
export class CreateFeedItemRequest {
  @Matches(Ids.account) accountId!: string;
  @IsIn(['basic']) type!: 'basic';
  @Text(1, 140) title!: string;
  @IsOptional() @Text(0, 1_000) body?: string;
  @IsOptional() @IsUrl(HTTP_URL) @Text(1, 2_048) imageUrl?: string;
  /** Opened when the customer taps the item. */
  @IsOptional() @IsUrl(HTTP_URL) @Text(1, 2_048) url?: string;
}

/** An account's spending notifications, newest first; or, `after` one, those since it, oldest first. */
export class ListNotificationsRequest {
  @Matches(Ids.account) accountId!: string;
  /** A live stream's reconnecting client names the last one it heard, and is told what it missed. */
  @IsOptional() @Matches(Ids.notification) after?: string;
  @IsOptional() @IsInt() @Min(1) @Max(1_000) limit?: number;
}

/** `transaction`: written for each transaction; `basic`: posted through `POST /feed`. */
export type FeedItemType = 'transaction' | 'basic';

/** One entry of an account's feed. */
export interface FeedItemView {
  readonly id: string;
  readonly accountId: string;
  readonly type: FeedItemType;
  readonly title: string;
  readonly body: string;
  readonly imageUrl?: string;
  readonly url?: string;
  readonly transactionId?: string;
  /** ISO 8601. */
  readonly created: string;
}

/** A push notification, as the app would show it. */
export class NotificationV1 {
  @Text(1, 40) id!: string;
  @Matches(Ids.account) accountId!: string;
  @IsIn(['spend', 'decline']) kind!: 'spend' | 'decline';
  @Text(1, 500) text!: string;
  @Matches(Ids.transaction) transactionId!: string;
  @IsISO8601() created!: string;
}

/** `feed.notification-created.v1`: what live notification streams forward. */
export class NotificationCreatedV1 {
  @IsDefined() @IsObject() @ValidateNested() @Type(() => NotificationV1) notification!: NotificationV1;
}
