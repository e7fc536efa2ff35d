import { Get, Param, Post, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { FeedPatterns, WebhooksPatterns } from '@cleave/contracts';
import { CleaveError, MessageBus } from '@cleave/platform';
import { DeadLettersQuery } from '../dto/events.dto';
import { AdminGuard } from '../http/client-credential.guard';
import { GatewayController } from '../http/gateway-controller.decorator';
import { deadLetterJson } from '../http/views';
import { pathId } from './path-ids';

const PATTERNS = {
  feed: { list: FeedPatterns.ListDeadLetters, replay: FeedPatterns.ReplayDeadLetter },
  webhooks: { list: WebhooksPatterns.ListDeadLetters, replay: WebhooksPatterns.ReplayDeadLetter },
} as const;

/** Operators' routes: the events a context's handlers gave up on, listed and replayed. */
@GatewayController('admin', AdminGuard)
export class AdminController {
  constructor(private readonly bus: MessageBus) {}

  @Get('admin/dead-letters')
  @ApiOperation({ summary: 'Events a context gave up on (context=feed|webhooks), oldest first' })
  async list(@Query() query: DeadLettersQuery) {
    const letters = await this.bus.send(PATTERNS[query.context].list, { includeReplayed: query.include_replayed });
    return { dead_letters: letters.map(deadLetterJson) };
  }

  @Post('admin/dead-letters/:context/:id/replay')
  @ApiOperation({ summary: 'Hand a dead letter to its handler again' })
  async replay(@Param('context') context: string, @Param('id') id: string) {
    if (context !== 'feed' && context !== 'webhooks') throw CleaveError.notFound(`no dead letters kept by ${context}`);
    return { dead_letter: deadLetterJson(await this.bus.send(PATTERNS[context].replay, { id: pathId('deadLetter', id, 'dead letter') })) };
  }
}
