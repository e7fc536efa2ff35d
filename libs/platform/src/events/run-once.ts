import type { EntityManager } from 'typeorm';
import { currentContext } from '../context/call-context';
import type { ContextDatabase } from '../database/context-database';
import { InboxRecord } from './event.entities';

/**
 * Runs an event handler's effects at most once per event: the inbox record and the effects commit together,
 * so a redelivery (at-least-once transport, a second replica, a replay) finds the record and does nothing.
 * Returns undefined when the event was handled before. Outside an event it just runs `work` in a transaction.
 */
export function runOnce<T>(db: ContextDatabase, context: string, work: (em: EntityManager) => Promise<T>): Promise<T | undefined> {
  const eventId = currentContext()?.eventId;
  return db.transaction(async (em) => {
    if (eventId !== undefined) {
      if (await em.existsBy(InboxRecord, { context, eventId })) return undefined;
      await em.insert(InboxRecord, { context, eventId, processedAt: new Date().toISOString() });
    }
    return work(em);
  });
}
