import { Body, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { FeedPatterns, GatewayErrors, IdentityPatterns, Ids, PlatformErrors, type NotificationV1 } from '@cleave/contracts';
import { CleaveError, MessageBus, rootContext, runWithContext } from '@cleave/platform';
import { TokenCache } from '../auth/token-cache';
import { CreateFeedItemBody, FeedQuery, NotificationStreamQuery, NotificationsQuery } from '../dto/events.dto';
import { GatewaySettings } from '../gateway.settings';
import { GatewayController } from '../http/gateway-controller.decorator';
import { assertOwnsAccount } from './path-ids';
import type { GatewayRequest } from '../http/request-context.guard';
import { feedItemJson, notificationJson } from '../http/views';
import { boundedWriter } from '../live/bounded-writer';
import { NotificationHub } from '../live/notification-hub';

/** How soon a client told that a replica is stopping should reconnect (SSE `retry`). */
const RECONNECT_AFTER_SHUTDOWN_MS = 1_000;
const TOKEN_CHECK_TIMEOUT_MS = 5_000;
// setTimeout's longest delay; a token outliving it (about 24.8 days) is checked on each keep-alive anyway.
const MAX_TIMER_MS = 2 ** 31 - 1;
const REPLAY_MORE_AFTER_MS = 100;
/** What a stream may have waiting unsent (a replay of 500 is ~175 KiB) before its client is taken to have stopped reading. */
const STREAM_BUFFER_LIMIT_BYTES = 1 << 20;

/** The last event of a stream whose client should come back in `afterMs` (SSE `retry`), saying why. */
const comeBackEvent = (event: string, reason: string, afterMs: number) =>
  `retry: ${afterMs}\nevent: ${event}\ndata: ${JSON.stringify({ reason, retry_after_ms: afterMs })}\n\n`;

const notificationEvent = (n: NotificationV1) => `id: ${n.id}\nevent: notification\ndata: ${JSON.stringify(notificationJson(n))}\n\n`;

/** The last event of a stream whose token no longer holds: no `retry`, as coming back with it is refused. */
const endEvent = (reason: 'token_revoked' | 'token_expired') => `event: end\ndata: ${JSON.stringify({ reason })}\n\n`;

/** The activity feed, and spending notifications: listed, or streamed live. Only the account's owner reaches them. */
@GatewayController('feed')
export class FeedController {
  constructor(
    private readonly bus: MessageBus,
    private readonly hub: NotificationHub,
    private readonly tokens: TokenCache,
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
  async stream(@Query() query: NotificationStreamQuery, @Req() request: GatewayRequest, @Res() reply: FastifyReply) {
    const lastHeard = lastEventId(request, query);
    await assertOwnsAccount(this.bus, query.account_id);
    // Each stream holds a connection (an open file) for its token's life: one customer opened thousands.
    if (this.hub.streamsOf(query.account_id) >= this.settings.CLEAVE_STREAMS_PER_ACCOUNT) {
      throw CleaveError.of(
        GatewayErrors.tooManyStreams,
        `this account has ${this.settings.CLEAVE_STREAMS_PER_ACCOUNT} notification streams open; close one to open another`,
      );
    }
    const customerId = request.cleave.principal?.id ?? request.accessTokenHash!;
    if (this.hub.streamsOfCustomer(customerId) >= this.settings.CLEAVE_STREAMS_PER_CUSTOMER) {
      throw CleaveError.of(
        GatewayErrors.tooManyStreams,
        `you have ${this.settings.CLEAVE_STREAMS_PER_CUSTOMER} notification streams open; close one to open another`,
      );
    }
    if (this.hub.openStreams >= this.settings.CLEAVE_MAX_STREAMS) {
      throw CleaveError.of(GatewayErrors.streamsFull, 'this server holds as many notification streams as it takes; retry shortly', {
        retryAfterSeconds: 1,
      });
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': request.cleave.requestId,
    });
    // A HEAD has its answer in the headers: Node sends nothing for it until the response ends.
    if (request.method === 'HEAD') {
      raw.end();
      return;
    }
    // A client that stops reading would have everything sent to it kept in this process: past a limit it is
    // cut off, and reconnecting with its Last-Event-ID it is sent what it missed.
    const send = boundedWriter(raw, STREAM_BUFFER_LIMIT_BYTES, () => {
      release();
      raw.destroy();
    });
    // A comment first: the client knows the stream is open before anything happens.
    raw.write(': connected\n\n');
    const accessTokenHash = request.accessTokenHash!;
    let ended = false;
    let released = false;
    let stop = () => undefined as void;
    const release = () => {
      if (released) return;
      released = true;
      ended = true;
      clearInterval(keepAlive);
      clearTimeout(expiry);
      stop();
    };
    const finish = (last: string) => {
      if (ended) return;
      release();
      raw.end(last);
    };
    // The token is checked as a request's would be (at most CLEAVE_TOKEN_CACHE_MS trusted without asking
    // identity again), so one revoked while this replica missed the event still ends its streams.
    const keepAlive = setInterval(() => {
      send(': keep-alive\n\n');
      void this.tokenHolds(accessTokenHash).then((holds) => holds || finish(endEvent('token_revoked')));
    }, this.settings.CLEAVE_STREAM_KEEPALIVE_MS);
    const expiry = setTimeout(
      () => finish(endEvent('token_expired')),
      Math.min(MAX_TIMER_MS, Math.max(0, request.accessTokenExpiresAt! - Date.now())),
    );
    // While what a reconnecting client missed is read, what happens meanwhile waits behind it; what was
    // both read and heard is sent once.
    let waiting: NotificationV1[] | undefined = lastHeard === undefined ? undefined : [];
    const replayed = new Set<string>();
    const deliver = (n: NotificationV1) => {
      if (waiting) waiting.push(n);
      else if (!replayed.delete(n.id)) send(notificationEvent(n));
    };
    stop = this.hub.listen(query.account_id, {
      accessTokenHash,
      customerId,
      deliver,
      // This replica is stopping: say so, and have the client come back (to another replica) in a second.
      end: () => finish(comeBackEvent('shutdown', 'server_shutting_down', RECONNECT_AFTER_SHUTDOWN_MS)),
      revoke: (reason) => finish(endEvent(reason)),
    });
    request.raw.on('close', release);
    raw.on('close', release);
    // A client gone while the stream was being set up closed before anyone listened: it would be held (and
    // written to) until its token expired.
    if (raw.destroyed || !raw.socket || raw.socket.destroyed) release();
    if (lastHeard === undefined || ended) return;

    const missed = await this.missedSince(query.account_id, lastHeard);
    if (ended) return;
    // Sent only what comes next, the client would never hear what it missed: it comes back and asks again.
    if (missed === undefined) return finish(comeBackEvent('unavailable', 'replay_unavailable', RECONNECT_AFTER_SHUTDOWN_MS));
    for (const n of missed) {
      send(notificationEvent(n));
      replayed.add(n.id);
    }
    // What happened meanwhile would move its Last-Event-ID past the rest: it reconnects from the last one sent.
    if (missed.length === this.settings.CLEAVE_STREAM_REPLAY_LIMIT)
      return finish(comeBackEvent('more', 'more_missed', REPLAY_MORE_AFTER_MS));
    const meanwhile = waiting!;
    waiting = undefined;
    for (const n of meanwhile) deliver(n);
  }

  /** The notifications of an account since `lastHeard`, oldest first, or undefined when the feed can't be asked. */
  private async missedSince(accountId: string, lastHeard: string): Promise<NotificationV1[] | undefined> {
    try {
      return await this.bus.send(FeedPatterns.ListNotifications, {
        accountId,
        after: lastHeard,
        limit: this.settings.CLEAVE_STREAM_REPLAY_LIMIT,
      });
    } catch {
      return undefined;
    }
  }

  /** Whether a stream's token still authenticates: cached, else asked of identity; an outage ends nothing. */
  private async tokenHolds(accessTokenHash: string): Promise<boolean> {
    if (this.tokens.get(accessTokenHash) !== undefined) return true;
    try {
      const user = await runWithContext(rootContext({}, TOKEN_CHECK_TIMEOUT_MS), () =>
        this.bus.send(IdentityPatterns.Authenticate, { accessTokenHash }),
      );
      this.tokens.set(accessTokenHash, user);
      return true;
    } catch (error) {
      return !(error instanceof CleaveError && error.code === 'unauthenticated');
    }
  }
}

/** The last notification a reconnecting client heard: the Last-Event-ID header EventSource sends, or the query's. */
function lastEventId(request: GatewayRequest, query: NotificationStreamQuery): string | undefined {
  const header = request.headers['last-event-id'];
  if (header === undefined || header === '') return query.last_event_id;
  if (typeof header !== 'string' || !Ids.notification.test(header)) {
    throw CleaveError.ofField(PlatformErrors.badHeader, {
      field: 'last-event-id',
      rule: 'matches',
      message: 'Last-Event-ID must be a notification id (notif_…)',
    });
  }
  return header;
}
