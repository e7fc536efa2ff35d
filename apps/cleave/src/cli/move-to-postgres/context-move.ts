import { createHash } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';
import type { CheckOutcome, MoveCheck } from './checks';
import { MoveRefusedError, type SqliteSource } from './sqlite-source';

/** How a column's values change on the way: SQLite keeps booleans as 0 and 1; everything else is copied as stored. */
type ColumnKind = 'boolean' | 'stored';

interface TablePlan {
  readonly name: string;
  readonly columns: ReadonlyArray<{ readonly name: string; readonly kind: ColumnKind }>;
  /** Columns PostgreSQL fills from a sequence (`seq` of the outbox, feed items' ids). */
  readonly generated: readonly string[];
  readonly primary: readonly string[];
}

/** Each table's rows the migrations write themselves (identity's built-in OAuth client), by spelt primary key. */
export type MigrationSeeds = ReadonlyMap<string, ReadonlySet<string>>;

export interface TableReport {
  readonly table: string;
  readonly sqliteRows: number;
  readonly postgresRows: number;
  /** Every row's every value arrived as it was (a digest of the rows, the same on both sides). */
  readonly sameContent: boolean;
}

export interface MoveReport {
  readonly context: string;
  readonly tables: readonly TableReport[];
  readonly checks: readonly CheckOutcome[];
}

/** The copy arrived different: the transaction was rolled back. */
export class MoveMismatchError extends Error {
  override name = 'MoveMismatchError';

  constructor(
    readonly report: MoveReport,
    readonly problems: readonly string[],
  ) {
    super(`${report.context}: ${problems.length} difference${problems.length === 1 ? '' : 's'} between SQLite and PostgreSQL`);
  }
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** PostgreSQL takes at most 65,535 parameters per statement. */
const MAX_PARAMETERS = 60_000;
const MAX_BATCH_ROWS = 500;

/**
 * The tables a context's DataSource describes, from its entities: a table added to a context is moved
 * without touching this code.
 */
function tablesOf(dataSource: DataSource): TablePlan[] {
  const byName = new Map<string, TablePlan>();
  for (const entity of dataSource.entityMetadatas) {
    if (entity.tableType !== 'regular' || byName.has(entity.tableName)) continue;
    byName.set(entity.tableName, {
      name: entity.tableName,
      columns: entity.columns.map((column) => ({
        name: column.databaseName,
        kind: dataSource.driver.normalizeType(column) === 'boolean' ? 'boolean' : 'stored',
      })),
      generated: entity.columns.filter((column) => column.generationStrategy === 'increment').map((column) => column.databaseName),
      primary: entity.primaryColumns.map((column) => column.databaseName),
    });
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** A value as PostgreSQL should receive it; integers as decimal text, which PostgreSQL reads exactly. */
function toPostgres(value: unknown, kind: ColumnKind, where: string): unknown {
  if (value === null) return null;
  if (kind === 'boolean') {
    if (value === 0n || value === 1n) return value === 1n;
    throw new MoveRefusedError(`${where} holds ${String(value)} in a boolean column (0 or 1 expected)`);
  }
  return typeof value === 'bigint' ? value.toString() : value;
}

/** A value spelt as PostgreSQL's `::text` spells it, so both sides' digests can be compared. */
function canonical(value: unknown, kind: ColumnKind): string | null {
  if (value === null) return null;
  if (kind === 'boolean') return value === 1n ? 'true' : 'false';
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  return String(value);
}

/** A row spelt as one string: each value as `<characters>:<text>`, or `~` for null, so no two rows spell alike. */
function spelling(texts: ReadonlyArray<string | null>): string {
  return texts.map((t) => (t === null ? '~' : `${[...t].length}:${t}`)).join('');
}

/** The same spelling, by PostgreSQL, of a row it holds (or of some of its columns). */
function spellingSql(columns: readonly string[]): string {
  return columns.map((name) => `COALESCE(length(${quoted(name)}::text) || ':' || ${quoted(name)}::text, '~')`).join(' || ');
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** A row's share of its table's digest: 64 bits of its spelling's MD5. Summed over the rows, in any order. */
function rowDigest(texts: ReadonlyArray<string | null>): bigint {
  return BigInt.asIntN(64, BigInt(`0x${md5(spelling(texts)).slice(0, 16)}`));
}

/** The same digest, computed by PostgreSQL over what it now holds. */
function digestStatement(qualified: string, table: TablePlan): string {
  return `SELECT count(*)::text AS rows, COALESCE(sum(('x' || substr(md5(${spellingSql(table.columns.map((c) => c.name))}), 1, 16))::bit(64)::bigint), 0)::text AS digest FROM ${qualified}`;
}

/** One context's data, from its SQLite file into its PostgreSQL schema. */
export class ContextMove {
  private readonly tables: TablePlan[];

  /**
   * `target` is the context's DataSource on PostgreSQL, migrated; `source` its SQLite file, opened. Refuses
   * when the two don't hold the same tables and columns (one of them migrated by another version).
   */
  constructor(
    readonly context: string,
    private readonly source: SqliteSource,
    private readonly target: DataSource,
    private readonly checks: readonly MoveCheck[],
  ) {
    this.tables = tablesOf(target);
    const known = new Set(this.tables.map((t) => t.name));
    const migrationsTable = String(target.options.migrationsTableName ?? 'migrations');
    const unknown = source.tables().filter((table) => !known.has(table) && table !== migrationsTable && table !== 'typeorm_metadata');
    if (unknown.length > 0)
      throw new MoveRefusedError(
        `${context}: ${source.file} has tables no entity of ${context} describes (${unknown.join(', ')}); their rows would be left behind`,
      );
    for (const table of this.tables) {
      const theirs = source.columns(table.name).sort();
      const ours = table.columns.map((c) => c.name).sort();
      if (theirs.join() !== ours.join()) {
        throw new MoveRefusedError(
          `${context}: ${source.file}'s table ${table.name} has columns (${theirs.join(', ') || 'none'}), this version of Cleave expects (${ours.join(', ')})`,
        );
      }
    }
  }

  private get schema(): string {
    return String((this.target.options as { schema?: string }).schema ?? this.context);
  }

  private qualified(table: string): string {
    return `${quoted(this.schema)}.${quoted(table)}`;
  }

  /**
   * Refuses a PostgreSQL schema holding rows the SQLite file doesn't hold as they are: a move would destroy
   * them (a bank that already ran on PostgreSQL, another bank's data). Everything a move of the same file
   * left is on both sides, and rows the migrations write (`seeds`) may differ: each side wrote its own.
   */
  async refuseRowsOfItsOwn(seeds: MigrationSeeds, runner?: QueryRunner): Promise<void> {
    const query = (statement: string) =>
      (runner ? runner.query(statement) : this.target.query(statement)) as Promise<Array<{ key: string; row: string }>>;
    const own: string[] = [];
    for (const table of this.tables) {
      const held = new Map<string, string>();
      const rows = await query(
        `SELECT md5(${spellingSql(table.primary)}) AS key, md5(${spellingSql(table.columns.map((c) => c.name))}) AS row FROM ${this.qualified(table.name)}`,
      );
      for (const { key, row } of rows) held.set(key, row);
      if (held.size === 0) continue;
      const primary = table.primary.map((name) => table.columns.findIndex((c) => c.name === name));
      for (const values of this.source.rows(
        table.name,
        table.columns.map((c) => c.name),
      )) {
        const texts = values.map((value, c) => canonical(value, table.columns[c]!.kind));
        const key = md5(spelling(primary.map((c) => texts[c]!)));
        const row = held.get(key);
        if (row !== undefined && (row === md5(spelling(texts)) || seeds.get(table.name)?.has(key))) held.delete(key);
      }
      if (held.size > 0) own.push(`${held.size} in ${table.name}`);
    }
    if (own.length > 0) {
      throw new MoveRefusedError(
        `${this.context}: PostgreSQL schema ${this.schema} already holds rows ${this.source.file} doesn't, or holds differently (${own.join(', ')}); nothing was copied. Pass --replace to replace them`,
      );
    }
  }

  /**
   * Copies every table in one transaction, checks both sides agree, and commits only if they do. What the
   * schema held is deleted first; unless `replace`, a schema with rows of its own is refused.
   */
  async run(replace: boolean, seeds: MigrationSeeds): Promise<MoveReport> {
    const runner = this.target.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      try {
        const report = await this.copyAndVerify(runner, replace, seeds);
        await runner.commitTransaction();
        return report;
      } catch (error) {
        await runner.rollbackTransaction();
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  private async copyAndVerify(runner: QueryRunner, replace: boolean, seeds: MigrationSeeds): Promise<MoveReport> {
    // Nobody else may write these tables while they fill; a process still running on them makes this fail, not wait.
    await runner.query("SET LOCAL lock_timeout = '5s'");
    await runner.query(`LOCK TABLE ${this.tables.map((t) => this.qualified(t.name)).join(', ')} IN ACCESS EXCLUSIVE MODE`);
    if (!replace) await this.refuseRowsOfItsOwn(seeds, runner);
    for (const table of this.tables) await runner.query(`DELETE FROM ${this.qualified(table.name)}`);

    const tables: TableReport[] = [];
    for (const table of this.tables) tables.push(await this.copy(runner, table));
    const checks: CheckOutcome[] = [];
    for (const check of this.checks) {
      checks.push(
        await check.run(
          (s) => this.source.query(s),
          (s) => runner.query(s) as Promise<Record<string, unknown>[]>,
        ),
      );
    }
    const report = { context: this.context, tables, checks };
    const problems = [
      ...tables
        .filter((t) => t.sqliteRows !== t.postgresRows)
        .map((t) => `${t.table}: ${t.sqliteRows} rows in SQLite, ${t.postgresRows} in PostgreSQL`),
      ...tables.filter((t) => t.sqliteRows === t.postgresRows && !t.sameContent).map((t) => `${t.table}: the rows differ in content`),
      ...checks.flatMap((c) => c.problems.map((p) => `${c.name}: ${p}`)),
    ];
    if (problems.length > 0) throw new MoveMismatchError(report, problems);
    // Last, once the copy is known good: setval is not undone by a rollback.
    for (const table of this.tables) {
      for (const column of table.generated) {
        await runner.query(
          `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX(${quoted(column)}), 0) + 1, false) FROM ${this.qualified(table.name)}`,
          [this.qualified(table.name), column],
        );
      }
    }
    return report;
  }

  /** Copies one table in batched inserts, digesting each row as it goes, then has PostgreSQL digest its copy. */
  private async copy(runner: QueryRunner, table: TablePlan): Promise<TableReport> {
    const columns = table.columns.map((c) => c.name);
    const perBatch = Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMETERS / columns.length)));
    const insert = `INSERT INTO ${this.qualified(table.name)} (${columns.map(quoted).join(', ')}) VALUES `;
    let sqliteRows = 0;
    let sourceDigest = 0n;
    let batch: unknown[][] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const values = batch.map((row, r) => `(${row.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`).join(', ');
      await runner.query(insert + values, batch.flat());
      batch = [];
    };
    for (const row of this.source.rows(table.name, columns)) {
      sqliteRows++;
      sourceDigest += rowDigest(row.map((value, c) => canonical(value, table.columns[c]!.kind)));
      batch.push(row.map((value, c) => toPostgres(value, table.columns[c]!.kind, `${this.context}.${table.name}.${columns[c]}`)));
      if (batch.length >= perBatch) await flush();
    }
    await flush();
    const [copied] = (await runner.query(digestStatement(this.qualified(table.name), table))) as Array<{ rows: string; digest: string }>;
    return { table: table.name, sqliteRows, postgresRows: Number(copied!.rows), sameContent: copied!.digest === sourceDigest.toString() };
  }
}

/**
 * The rows a context's migrations write, found by migrating `scratch` (an empty database, thrown away after):
 * each table's rows by spelt primary key.
 */
export async function migrationSeeds(scratch: DataSource): Promise<MigrationSeeds> {
  const seeds = new Map<string, Set<string>>();
  for (const table of tablesOf(scratch)) {
    const rows = (await scratch.query(`SELECT ${table.primary.map(quoted).join(', ')} FROM ${quoted(table.name)}`)) as Array<
      Record<string, unknown>
    >;
    if (rows.length > 0)
      seeds.set(
        table.name,
        new Set(rows.map((row) => md5(spelling(table.primary.map((name) => (row[name] === null ? null : String(row[name]))))))),
      );
  }
  return seeds;
}
