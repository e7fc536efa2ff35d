import Database, { type Database as SqliteDatabase } from 'better-sqlite3';
import { existsSync } from 'node:fs';

/** A move that won't start, or won't commit, for a reason the operator can fix; nothing was changed. */
export class MoveRefusedError extends Error {
  override name = 'MoveRefusedError';
}

/** A row as SQLite hands it over: integers as bigint, so no amount passes through a double. */
export type SqliteRow = unknown[];

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * A context's SQLite file, opened for a move: one read snapshot under an exclusive lock, so no other
 * process has it open while its data is copied, and Cleave can't start on it until the move ends. Only
 * read: the transaction is rolled back when it closes.
 */
export class SqliteSource {
  private constructor(
    private readonly db: SqliteDatabase,
    readonly file: string,
  ) {}

  static open(context: string, file: string): SqliteSource {
    if (!existsSync(file))
      throw new MoveRefusedError(`${context}: there is no ${file} to move (is CLEAVE_DATA_DIR where Cleave kept its data?)`);
    const db = new Database(file, { fileMustExist: true, timeout: 0 });
    try {
      // In WAL mode every open connection holds a shared lock: the exclusive one fails at once while Cleave
      // runs on the file. A file left by a crash opens fine, its WAL's commits included.
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (error) {
      db.close();
      if ((error as { code?: string }).code === 'SQLITE_BUSY') {
        throw new MoveRefusedError(
          `${context}: ${file} is in use by another process; stop Cleave (every process using ${file}) before moving its data`,
        );
      }
      throw error;
    }
    return new SqliteSource(db, file);
  }

  /** The file's tables, SQLite's own aside. */
  tables(): string[] {
    const rows = this.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
      .all() as { name: string }[];
    return rows.map((row) => row.name);
  }

  columns(table: string): string[] {
    return (this.db.prepare(`PRAGMA table_info(${quoted(table)})`).all() as { name: string }[]).map((column) => column.name);
  }

  /** The migrations the file records as run; none when it has no migrations table. */
  appliedMigrations(table: string): string[] {
    if (!this.tables().includes(table)) return [];
    return (this.db.prepare(`SELECT name FROM ${quoted(table)}`).all() as { name: string }[]).map((row) => row.name);
  }

  /** Every row of `table`, its columns in the order given, one at a time. */
  rows(table: string, columns: readonly string[]): IterableIterator<SqliteRow> {
    return this.db
      .prepare(`SELECT ${columns.map(quoted).join(', ')} FROM ${quoted(table)}`)
      .raw(true)
      .safeIntegers(true)
      .iterate() as IterableIterator<SqliteRow>;
  }

  count(table: string): number {
    return Number(
      (
        this.db
          .prepare(`SELECT count(*) AS n FROM ${quoted(table)}`)
          .safeIntegers(true)
          .get() as { n: bigint }
      ).n,
    );
  }

  /** The rows of a read-only statement, integers as bigint. */
  async query(statement: string): Promise<Record<string, unknown>[]> {
    return this.db.prepare(statement).safeIntegers(true).all() as Record<string, unknown>[];
  }

  close(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.db.close();
  }
}
