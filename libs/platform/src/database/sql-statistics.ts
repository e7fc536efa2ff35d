/** Statements and transactions a context's database has run in this process, since it started. */
export interface SqlCounts {
  statements: number;
  transactions: number;
  /** Commits: fewer than transactions where SQLite commits transactions together. */
  commits: number;
}

const counts = new Map<string, SqlCounts>();

/** The counts of one context, made on first use. */
export function sqlCountsOf(context: string): SqlCounts {
  let c = counts.get(context);
  if (c === undefined) counts.set(context, (c = { statements: 0, transactions: 0, commits: 0 }));
  return c;
}

/**
 * What each context's database has run in this process: the cost guards in the tests read it (a count
 * never flakes the way a time does), and metrics can.
 */
export function sqlStatistics(): Record<string, SqlCounts> {
  return Object.fromEntries([...counts].map(([context, c]) => [context, { ...c }]));
}
