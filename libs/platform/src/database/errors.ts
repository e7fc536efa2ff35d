/**
 * True when a database error is a unique-constraint violation, on PostgreSQL (23505) or SQLite; of a key of
 * `table` when given.
 */
export function isUniqueViolation(error: unknown, table?: string): boolean {
  const e = error as { code?: string; table?: string; driverError?: { code?: string; table?: string }; message?: string };
  const code = e?.driverError?.code ?? e?.code;
  if (code === '23505') return table === undefined || (e?.driverError?.table ?? e?.table) === table;
  const message = e?.message ?? '';
  const sqlite = code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(message);
  return sqlite && (table === undefined || message.includes(`${table}.`));
}

/** True when PostgreSQL cancelled the statement (57014: a cancel request, or a statement timeout). */
export function isCancelled(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  return (e?.driverError?.code ?? e?.code) === '57014';
}
