import type { EntityManager } from 'typeorm';
import { currentContext } from '../context/call-context';
import type { ContextDatabase } from '../database/context-database';
import { sql } from '../database/sql';

/**
 * Runs an event handler's effects at most once per event: the inbox record and the effects commit together,
 * so a redelivery (at-least-once transport, a second replica, a replay) finds the record and does nothing.
 * Returns undefined when the event was handled before. Outside an event it just runs `work` in a transaction.
 */
export function runOnce<T>(db: ContextDatabase, work: (em: EntityManager) => Promise<T>): Promise<T | undefined> {
  const eventId = currentContext()?.eventId;
  return db.transaction(async (em) => {
    // One statement: a record already there (a redelivery, or another replica first) inserts nothing.
    if (eventId !== undefined && (await db.run(em, recordEvent, [db.context, eventId, new Date().toISOString()])) === 0) return undefined;
    return work(em);
  });
}

const recordEvent = sql('inbox.record', 'INSERT INTO inbox (context, event_id, processed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
