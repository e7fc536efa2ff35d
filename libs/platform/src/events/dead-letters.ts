import { Logger } from '@nestjs/common';
import { IsNull, MoreThan, type FindOptionsWhere } from 'typeorm';
import type { DeadLetterView } from '@cleave/contracts';
import { CleaveError } from '../errors/cleave-error';
import type { ContextDatabases } from '../database/context-databases';
import type { EventBus } from './event-bus';
import { DeadLetter } from './event.entities';
import type { EventEnvelope } from '../bus/event-envelope';
import { PlatformErrors } from '@cleave/contracts';

/** The most letters one list shows; the count of all is in /readyz's backlog and the cleave_dead_letters metric. */
export const MAX_LISTED = 200;
const MAX_LISTED_ERROR = 500;

/** Lists and replays the events a context's handlers gave up on. */
export class DeadLetters {
  private readonly log = new Logger('DeadLetters');

  constructor(
    private readonly dbs: ContextDatabases,
    private readonly events: EventBus,
  ) {}

  /**
   * The oldest {@link MAX_LISTED} letters of a context, or the next ones after the letter `after`, without
   * their envelopes (up to 64 KiB each): a flood of poison must not make the list too large to send, or the
   * process too large to hold it.
   */
  async list(context: string, includeReplayed = false, after?: string): Promise<DeadLetterView[]> {
    const db = this.database(context);
    const rows = await db.read(async (em) => {
      const listed = includeReplayed ? { context } : { context, replayedAt: IsNull() };
      let where: FindOptionsWhere<DeadLetter>[] = [listed];
      if (after !== undefined) {
        const from = await em.findOne(DeadLetter, { select: { id: true, createdAt: true }, where: { id: after, context } });
        if (!from) throw CleaveError.notFound(`no dead letter ${after} in ${context}`);
        where = [
          { ...listed, createdAt: MoreThan(from.createdAt) },
          { ...listed, createdAt: from.createdAt, id: MoreThan(from.id) },
        ];
      }
      return em.find(DeadLetter, {
        select: { id: true, context: true, eventId: true, event: true, error: true, attempts: true, createdAt: true, replayedAt: true },
        where,
        order: { createdAt: 'ASC', id: 'ASC' },
        take: MAX_LISTED,
      });
    });
    return rows.map(view);
  }

  /** Hands the event to its handler again; on success it is marked replayed, on failure it stays parked. */
  async replay(context: string, id: string): Promise<DeadLetterView> {
    const db = this.database(context);
    const letter = await db.read((em) => em.findOneBy(DeadLetter, { id, context }));
    if (!letter) throw CleaveError.notFound(`no dead letter ${id} in ${context}`);
    if (letter.replayedAt !== null) return view(letter);
    try {
      await this.events.deliverOnce(context, JSON.parse(letter.envelope) as EventEnvelope);
    } catch (error) {
      await db.transaction((em) =>
        em.update(DeadLetter, { id }, { attempts: letter.attempts + 1, error: String((error as Error)?.message ?? error).slice(0, 2_000) }),
      );
      throw CleaveError.of(PlatformErrors.replayFailed, `replaying ${id} failed again: ${(error as Error)?.message ?? String(error)}`);
    }
    const replayedAt = new Date().toISOString();
    await db.transaction((em) => em.update(DeadLetter, { id }, { replayedAt }));
    return view({ ...letter, replayedAt });
  }

  /**
   * Drops a letter an operator has dealt with, or one that can never be handled (a poison message, whose
   * replay always fails). Its envelope is logged first: the log is what keeps it.
   */
  async discard(context: string, id: string): Promise<DeadLetterView> {
    const db = this.database(context);
    const letter = await db.read((em) => em.findOneBy(DeadLetter, { id, context }));
    if (!letter) throw CleaveError.notFound(`no dead letter ${id} in ${context}`);
    this.log.warn(`discarding ${context}'s dead letter ${id} (${letter.event} ${letter.eventId}): ${letter.envelope.slice(0, 4_096)}`);
    await db.transaction((em) => em.delete(DeadLetter, { id, context }));
    return view(letter);
  }

  private database(context: string) {
    const db = this.dbs.get(context);
    if (!db) throw CleaveError.notFound(`${context} is not hosted here or keeps no dead letters`);
    return db;
  }
}

function view(letter: Omit<DeadLetter, 'envelope'>): DeadLetterView {
  return {
    id: letter.id,
    context: letter.context,
    eventId: letter.eventId,
    event: letter.event,
    // Kept whole in the table; a list of many stays small enough to send.
    error: letter.error.slice(0, MAX_LISTED_ERROR),
    attempts: letter.attempts,
    created: letter.createdAt,
    ageMs: Date.now() - Date.parse(letter.createdAt),
    replayed: letter.replayedAt,
  };
}
