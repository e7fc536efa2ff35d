import { Body, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { FeedPatterns } from '@cleave/contracts';
import { MessageBus } from '@cleave/platform';
import { CreateFeedItemBody, FeedQuery, NotificationsQuery } from '../dto/events.dto';
import { GatewaySettings } from '../gateway.settings';
import { GatewayController } from '../http/gateway-controller.decorator';
import { assertOwnsAccount } from './path-ids';
import type { GatewayRequest } from '../http/request-context.guard';
import { feedItemJson, notificationJson } from '../http/views';
import { NotificationHub } from '../live/notification-hub';

/** The activity feed, and spending notifications: listed, or streamed live. Only the account's owner reaches them. */
/** How soon a client told that a replica is stopping should reconnect (SSE `retry`). */
const RECONNECT_AFTER_SHUTDOWN_MS = 1_000;

@GatewayController('feed')
export class FeedController {
  constructor(
    private readonly bus: MessageBus,
    private readonly hub: NotificationHub,
    @Inject(GatewaySettings) private readonly settings: GatewaySettings,
  ) {}

  @Get('feed')
  @ApiOperation({ summary: "An account's feed, newest first" })
  async list(@Query() query: FeedQuery) {
    await assertOwnsAccount(this.bus, query.account_id);
    const items = await this.bus.send(FeedPatterns.ListItems, { accountId: query.account_id, limit: query.limit, before: query.before });
    return { items: items.map(feedItemJson) };
  }

  @Post('feed')
  // Monzo answers 200, and clients check for it.
  @HttpCode(200)
  @ApiOperation({ summary: "Post a custom item to an account's feed: type=basic, params[title], params[body], params[image_url], url" })
  async create(@Body() body: CreateFeedItemBody) {
    await assertOwnsAccount(this.bus, body.account_id);
    const item = await this.bus.send(FeedPatterns.CreateItem, {
      accountId: body.account_id,
      type: body.type,
      title: body.params.title,
      body: body.params.body,
      imageUrl: body.params.image_url,
      url: body.url,
    });
    return { feed_item: feedItemJson(item) };
  }

  @Get('notifications')
  @ApiOperation({ summary: "An account's spending notifications, newest first" })
  async notifications(@Query() query: NotificationsQuery) {
    await assertOwnsAccount(this.bus, query.account_id);
    const list = await this.bus.send(FeedPatterns.ListNotifications, { accountId: query.account_id, limit: query.limit });
    return { notifications: list.map(notificationJson) };
  }

  @Get('notifications/stream')
  @ApiOperation({ summary: "An account's notifications as they happen (server-sent events: event `notification`)" })
  @ApiProduces('text/event-stream')
  async stream(@Query() query: NotificationsQuery, @Req() request: GatewayRequest, @Res() reply: FastifyReply) {
    await assertOwnsAccount(this.bus, query.account_id);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': request.cleave.requestId,
    });
    // A comment first: the client knows the stream is open before anything happens.
    raw.write(': connected\n\n');
    const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), this.settings.CLEAVE_STREAM_KEEPALIVE_MS);
    const stop = this.hub.listen(
      query.account_id,
      (n) => raw.write(`id: ${n.id}\nevent: notification\ndata: ${JSON.stringify(notificationJson(n))}\n\n`),
      // This replica is stopping: say so, and have the client come back (to another replica) in a second.
      () => {
        clearInterval(keepAlive);
        raw.end(
          `retry: ${RECONNECT_AFTER_SHUTDOWN_MS}\nevent: shutdown\ndata: ${JSON.stringify({ reason: 'server_shutting_down', retry_after_ms: RECONNECT_AFTER_SHUTDOWN_MS })}\n\n`,
        );
      },
    );
    request.raw.on('close', () => {
      clearInterval(keepAlive);
      stop();
    });
  }
}
