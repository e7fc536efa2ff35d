import type { ContextDatabase } from '../database/context-database';
import { sql } from '../database/sql';

const OUTBOX_BACKLOG = sql('outbox-backlog', 'SELECT count(*) AS depth, min(created_at) AS oldest FROM outbox WHERE published_at IS NULL');
const DEAD_LETTERS_WAITING = sql(
  'dead-letter-backlog',
  'SELECT count(*) AS parked, min(created_at) AS oldest FROM dead_letters WHERE replayed_at IS NULL',
);

/** What an outbox or the dead letters hold: how many, and the age of the oldest in seconds (0 when none). */
export interface Backlog {
  readonly count: number;
  readonly oldestAgeSeconds: number;
}

function backlogOf(row: { count: unknown; oldest: unknown } | undefined, now = Date.now()): Backlog {
  const oldest = typeof row?.oldest === 'string' ? Date.parse(row.oldest) : NaN;
  return { count: Number(row?.count ?? 0), oldestAgeSeconds: Number.isNaN(oldest) ? 0 : Math.max(0, (now - oldest) / 1_000) };
}

/** A context's unpublished events. */
export async function outboxBacklog(db: ContextDatabase): Promise<Backlog> {
  const row = await db.get<{ depth: unknown; oldest: unknown }>(undefined, OUTBOX_BACKLOG, []);
  return backlogOf(row && { count: row.depth, oldest: row.oldest });
}

/** A context's parked events not yet replayed. */
export async function deadLetterBacklog(db: ContextDatabase): Promise<Backlog> {
  const row = await db.get<{ parked: unknown; oldest: unknown }>(undefined, DEAD_LETTERS_WAITING, []);
  return backlogOf(row && { count: row.parked, oldest: row.oldest });
}
