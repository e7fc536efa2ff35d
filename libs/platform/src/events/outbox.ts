import type { EntityManager } from 'typeorm';
import type { CleaveEvents, EventMap, PayloadOf } from '@cleave/contracts';
import { toWire } from '../validation/wire';
import { currentContext } from '../context/call-context';
import { newEntityId } from '../context/ids';
import type { ContextDatabase } from '../database/context-database';
import { envelopeContext } from '../bus/event-envelope';
import { sql } from '../database/sql';

/** The outbox's columns, in the order of {@link Outbox.row}'s values. */
export const OUTBOX_COLUMNS = 'event_id, event, aggregate_id, payload, context, created_at';

const insertEvent = sql('outbox.add', `INSERT INTO outbox (${OUTBOX_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`);

/** Signalled on a context's database when a transaction that wrote events has committed. */
export const OUTBOX_SIGNAL = 'outbox';

/**
 * A context's transactional outbox: `add` writes an event in the caller's transaction, so the event exists
 * if and only if the change it reports was committed; the relay publishes it afterwards.
 */
export class Outbox {
  constructor(
    private readonly db: ContextDatabase,
    /** `CLEAVE_CRASH_AFTER_COMMIT`: a test hook that kills the process right after such an event commits. */
    private readonly crashAfterCommitOf?: string,
  ) {}

  async add<E extends EventMap = CleaveEvents, N extends keyof E & string = keyof E & string>(
    em: EntityManager,
    event: N,
    payload: PayloadOf<E, N>,
    aggregateId: string,
  ): Promise<string> {
    const row = this.row<E, N>(event, payload, aggregateId);
    await this.db.run(em, insertEvent, row);
    this.written(event, em);
    return row[0];
  }

  /**
   * An event's row, for a statement that writes it along with the change it reports (a step done in one
   * PostgreSQL statement): the values of {@link OUTBOX_COLUMNS}. Once that statement has committed, tell
   * {@link written}.
   */
  row<E extends EventMap = CleaveEvents, N extends keyof E & string = keyof E & string>(
    event: N,
    payload: PayloadOf<E, N>,
    aggregateId: string,
  ): [string, string, string, string, string, string] {
    return [
      newEntityId('evt'),
      event,
      aggregateId,
      JSON.stringify(toWire(payload)),
      JSON.stringify(envelopeContext(currentContext())),
      new Date().toISOString(),
    ];
  }

  /**
   * A statement wrote a {@link row} of `event`: in `em`'s transaction, the relay hears of it once that
   * commits; without one, the statement has committed and the relay hears of it now.
   */
  written(event: string, em?: EntityManager): void {
    // Dies between the commit and the publish: the crash-safety test's way of proving the relay recovers.
    const crash = event === this.crashAfterCommitOf ? () => process.kill(process.pid, 'SIGKILL') : undefined;
    if (em !== undefined) {
      if (crash) this.db.afterCommit(em, crash);
      else this.db.signalAfterCommit(em, OUTBOX_SIGNAL);
    } else if (crash) crash();
    else this.db.signal(OUTBOX_SIGNAL);
  }
}
