import { Get, Param, Post, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { CardsPatterns, FeedPatterns, WebhooksPatterns } from '@cleave/contracts';
import { CleaveError, MessageBus } from '@cleave/platform';
import { DeadLettersQuery } from '../dto/events.dto';
import { AdminGuard } from '../http/client-credential.guard';
import { GatewayController } from '../http/gateway-controller.decorator';
import { deadLetterJson } from '../http/views';
import { pathId } from './path-ids';

const PATTERNS = {
  feed: { list: FeedPatterns.ListDeadLetters, replay: FeedPatterns.ReplayDeadLetter, discard: FeedPatterns.DiscardDeadLetter },
  webhooks: {
    list: WebhooksPatterns.ListDeadLetters,
    replay: WebhooksPatterns.ReplayDeadLetter,
    discard: WebhooksPatterns.DiscardDeadLetter,
  },
  cards: { list: CardsPatterns.ListDeadLetters, replay: CardsPatterns.ReplayDeadLetter, discard: CardsPatterns.DiscardDeadLetter },
} as const;

/** The contexts that consume events, and so keep dead letters. */
const DEAD_LETTER_CONTEXTS = Object.keys(PATTERNS) as ReadonlyArray<keyof typeof PATTERNS>;

function keeperOf(context: string): keyof typeof PATTERNS {
  if (!(DEAD_LETTER_CONTEXTS as readonly string[]).includes(context)) throw CleaveError.notFound(`no dead letters kept by ${context}`);
  return context as keyof typeof PATTERNS;
}

/** Operators' routes: the events a context's handlers gave up on, listed, replayed or discarded. */
@GatewayController('admin', AdminGuard)
export class AdminController {
  constructor(private readonly bus: MessageBus) {}

  @Get('admin/dead-letters')
  @ApiOperation({
    summary: 'Events a context gave up on (context=feed|webhooks|cards), oldest first, 200 at a time (after=: the next page)',
  })
  async list(@Query() query: DeadLettersQuery) {
    const letters = await this.bus.send(PATTERNS[query.context].list, { includeReplayed: query.include_replayed, after: query.after });
    return { dead_letters: letters.map(deadLetterJson) };
  }

  @Post('admin/dead-letters/:context/:id/replay')
  @ApiOperation({ summary: 'Hand a dead letter to its handler again' })
  async replay(@Param('context') context: string, @Param('id') id: string) {
    const letter = await this.bus.send(PATTERNS[keeperOf(context)].replay, { id: pathId('deadLetter', id, 'dead letter') });
    return { dead_letter: deadLetterJson(letter) };
  }

  @Post('admin/dead-letters/:context/:id/discard')
  @ApiOperation({ summary: 'Drop a dead letter (dealt with, or a poison message no replay can handle); its envelope is logged' })
  async discard(@Param('context') context: string, @Param('id') id: string) {
    const letter = await this.bus.send(PATTERNS[keeperOf(context)].discard, { id: pathId('deadLetter', id, 'dead letter') });
    return { dead_letter: deadLetterJson(letter) };
  }
}
