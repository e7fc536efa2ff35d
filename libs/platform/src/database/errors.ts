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

const LOST_MESSAGE = /Connection terminated|not queryable|Client was closed|ECONNRESET|ECONNREFUSED|EPIPE/i;

/** The connection to PostgreSQL went (the server restarting, a backend terminated, the network), not the statement. */
export function connectionLost(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const { code, message, name } = e as { code?: unknown; message?: unknown; name?: unknown };
    // 57P0x: the server is shutting down or the backend was terminated; class 08: connection exceptions.
    if (typeof code === 'string' && (/^57P0[1-3]$/.test(code) || /^08/.test(code) || /^E(CONNRESET|CONNREFUSED|PIPE)$/.test(code)))
      return true;
    if (name === 'QueryRunnerAlreadyReleasedError') return true;
    if (typeof message === 'string' && LOST_MESSAGE.test(message)) return true;
    e = (e as { driverError?: unknown; cause?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}
