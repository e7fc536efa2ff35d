import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsIn, IsObject, IsUrl, Matches, ValidateNested } from 'class-validator';
import { HTTP_URL, Ids, Text } from '@cleave/contracts';
import { Optional, ShownText, WholeNumberIn } from './fields';

export class FeedQuery {
  @ApiProperty() @Matches(Ids.account, { message: 'account_id must be an account id (acc_…)' }) account_id!: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 }) @Optional() @WholeNumberIn(1, 100) limit?: number;
  @ApiPropertyOptional({ description: 'Only items older than this feed item id' })
  @Optional()
  @Matches(Ids.feedItem, { message: 'before must be a feed item id (feeditem_…)' })
  before?: string;
}

const HEX_COLOUR = /^#[0-9A-Fa-f]{6}$/;

export class FeedItemParams {
  @ApiProperty({ example: 'Your trip to Lisbon' }) @ShownText(1, 140) title!: string;
  @ApiPropertyOptional() @Optional() @ShownText(0, 1_000) body?: string;
  @ApiPropertyOptional({ example: 'https://example.com/lisbon.png' })
  @Optional()
  @IsUrl(HTTP_URL, { message: 'params[image_url] must be an http(s) URL' })
  @Text(1, 2_048)
  image_url?: string;
  // Monzo's app colours an item with these; Cleave has no app, so they are checked and not kept.
  @ApiPropertyOptional({ example: '#FCF1EE' })
  @Optional()
  @Matches(HEX_COLOUR, { message: 'params[background_color] must be #RRGGBB' })
  background_color?: string;
  @ApiPropertyOptional({ example: '#333333' })
  @Optional()
  @Matches(HEX_COLOUR, { message: 'params[title_color] must be #RRGGBB' })
  title_color?: string;
  @ApiPropertyOptional({ example: '#FE7B6B' })
  @Optional()
  @Matches(HEX_COLOUR, { message: 'params[body_color] must be #RRGGBB' })
  body_color?: string;
}

export class CreateFeedItemBody {
  @ApiProperty() @Matches(Ids.account, { message: 'account_id must be an account id (acc_…)' }) account_id!: string;
  @ApiProperty({ enum: ['basic'] }) @IsIn(['basic'], { message: 'type must be basic' }) type!: 'basic';
  @ApiProperty({ type: FeedItemParams })
  @IsDefined({ message: 'params[title] is required' })
  @IsObject()
  @ValidateNested()
  @Type(() => FeedItemParams)
  params!: FeedItemParams;
  @ApiPropertyOptional({ description: 'Opened when the item is tapped' })
  @Optional()
  @IsUrl(HTTP_URL, { message: 'url must be an http(s) URL' })
  @Text(1, 2_048)
  url?: string;
}

export class NotificationsQuery {
  @ApiProperty() @Matches(Ids.account, { message: 'account_id must be an account id (acc_…)' }) account_id!: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 }) @Optional() @WholeNumberIn(1, 100) limit?: number;
}

export class NotificationStreamQuery extends NotificationsQuery {
  @ApiPropertyOptional({
    description: "The last notification heard, for a client that can't send the Last-Event-ID header: those since it are sent first",
  })
  @Optional()
  @Matches(Ids.notification, { message: 'last_event_id must be a notification id (notif_…)' })
  last_event_id?: string;
}

export class RegisterWebhookBody {
  @ApiProperty() @Matches(Ids.account, { message: 'account_id must be an account id (acc_…)' }) account_id!: string;
  @ApiProperty({ example: 'https://example.com/cleave-webhook' })
  @Text(1, 2_048)
  @IsUrl(HTTP_URL, { message: 'url must be an http(s) URL' })
  url!: string;
}

export class WebhooksQuery {
  @ApiProperty() @Matches(Ids.account, { message: 'account_id must be an account id (acc_…)' }) account_id!: string;
}

export class DeliveriesQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 }) @Optional() @WholeNumberIn(1, 100) limit?: number;
}

export class DeadLettersQuery {
  @ApiProperty({ enum: ['feed', 'webhooks', 'cards'] })
  @IsIn(['feed', 'webhooks', 'cards'], { message: 'context must be feed, webhooks or cards' })
  context!: 'feed' | 'webhooks' | 'cards';
  @ApiPropertyOptional({ description: 'Also those already replayed' })
  @Optional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'include_replayed must be true or false' })
  include_replayed?: boolean;
  @ApiPropertyOptional({ description: "A dead letter's id: the letters listed after it (the next page)" })
  @Optional()
  @Matches(Ids.deadLetter, { message: "after must be a dead letter's id (dlq_…)" })
  after?: string;
}
