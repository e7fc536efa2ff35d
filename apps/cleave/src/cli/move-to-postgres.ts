// `npm run move-to-postgres`: copies contexts' data from their SQLite files into PostgreSQL, checked, then exits.
import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource, Logger as TypeOrmLogger } from 'typeorm';
import {
  CleaveLogger,
  ConfigurationError,
  contextDatabasesOf,
  databaseSetting,
  dataSourceOptions,
  loadCleaveConfig,
  openContextDataSource,
  processLogger,
  type CleaveConfig,
  type ContextDatabaseOptions,
} from '@cleave/platform';
import { cleaveDeployment } from '../deployment';
import { commandLine, failCommand } from './command-line';
import { MOVE_CHECKS } from './move-to-postgres/checks';
import { ContextMove, migrationSeeds, MoveMismatchError, type MigrationSeeds, type MoveReport } from './move-to-postgres/context-move';
import { MoveRefusedError, SqliteSource } from './move-to-postgres/sqlite-source';

const COMMAND = 'move-to-postgres';
const WITH_DATABASES = (await Promise.all(Object.values(cleaveDeployment.contexts).map((load) => load()))).flatMap((module) =>
  contextDatabasesOf(module),
);

const USAGE = `Usage: npm run move-to-postgres -- --context <name> [--context <name> …] [--replace]
       npm run move-to-postgres -- --all [--replace]
       (npm run move-to-postgres:prod runs the built copy without building)

Copies each context's data from its SQLite file under CLEAVE_DATA_DIR into its PostgreSQL schema
(DATABASE_URL, or CLEAVE_<CONTEXT>_DATABASE_URL), one transaction per context: migrates the schema,
copies every table, compares row counts and contents on both sides (and the ledger's balances), and
commits only if they agree. Stop Cleave first: a SQLite file another process has open is refused. The
SQLite files are only read; keep them until you are satisfied.

  --context <name>  a context to move: ${WITH_DATABASES.map((o) => o.context).join(', ')}
  --all             every one of them
  --replace         replace rows the PostgreSQL schema holds and the SQLite file doesn't (refused
                    without it: they would be lost)

Exit codes: 0 moved; 1 refused or different (that context unchanged); 2 usage; 78 a setting.`;

/** EX_CONFIG from sysexits.h, as a Cleave process exits on a bad setting. */
const EXIT_CONFIG = 78;

const options = commandLine(COMMAND, USAGE, {
  context: { type: 'string', multiple: true },
  all: { type: 'boolean', default: false },
  replace: { type: 'boolean', default: false },
});

function chosenContexts(): ContextDatabaseOptions[] {
  const named = (options.context ?? [])
    .flatMap((value) => value.split(','))
    .map((name) => name.trim())
    .filter(Boolean);
  if (options.all && named.length > 0) failCommand(COMMAND, `--all or --context, not both\n\n${USAGE}`);
  if (!options.all && named.length === 0) failCommand(COMMAND, `name the contexts to move (--context) or --all\n\n${USAGE}`);
  if (options.all) return WITH_DATABASES;
  return [...new Set(named)].map(
    (name) =>
      WITH_DATABASES.find((o) => o.context === name) ??
      failCommand(COMMAND, `${name} is not a context with a database (${WITH_DATABASES.map((o) => o.context).join(', ')})`),
  );
}

/** The names TypeORM records its migrations under. */
function migrationNames(database: ContextDatabaseOptions): string[] {
  return database.migrations.map((migration) => new migration().name || migration.name);
}

/** Opens the SQLite file, refusing one migrated by another version of Cleave than this one. */
function openSource(config: CleaveConfig, database: ContextDatabaseOptions): SqliteSource {
  const source = SqliteSource.open(database.context, join(config.dataDir, `${database.context}.sqlite`));
  const applied = new Set(source.appliedMigrations('migrations'));
  const known = migrationNames(database);
  const pending = known.filter((name) => !applied.has(name));
  const unknown = [...applied].filter((name) => !known.includes(name));
  if (pending.length > 0 || unknown.length > 0) {
    source.close();
    throw new MoveRefusedError(
      pending.length > 0
        ? `${database.context}: ${source.file} lacks migrations (${pending.join(', ')}); run this version of Cleave on it once (or npm run migrate without DATABASE_URL) first`
        : `${database.context}: ${source.file} was migrated by a newer Cleave (${unknown.join(', ')}); move it with that version`,
    );
  }
  return source;
}

const silent: TypeOrmLogger = { logQuery() {}, logQueryError() {}, logQuerySlow() {}, logSchemaBuild() {}, logMigration() {}, log() {} };

/** What the context's migrations write by themselves, from a scratch database in memory: no file, no log lines. */
async function seedsOf(config: CleaveConfig, database: ContextDatabaseOptions): Promise<MigrationSeeds> {
  const scratch = await openContextDataSource(
    { ...dataSourceOptions({ ...config, dataDir: ':memory:', databaseUrl: undefined, contextDatabaseUrls: {} }, database), logger: silent },
    true,
  );
  try {
    return await migrationSeeds(scratch);
  } finally {
    await scratch.destroy();
  }
}

function requirePostgres(config: CleaveConfig, context: string): void {
  if ((config.contextDatabaseUrls[context] ?? config.databaseUrl) === undefined) {
    throw new ConfigurationError(
      `there is no PostgreSQL database to move ${context} into: set DATABASE_URL (or CLEAVE_${context.toUpperCase()}_DATABASE_URL)`,
    );
  }
}

function print(report: MoveReport): void {
  const width = Math.max(5, ...report.tables.map((t) => t.table.length));
  const out = [`  ${'table'.padEnd(width)}  ${'SQLite'.padStart(8)}  ${'PostgreSQL'.padStart(10)}  content`];
  for (const t of report.tables) {
    out.push(
      `  ${t.table.padEnd(width)}  ${String(t.sqliteRows).padStart(8)}  ${String(t.postgresRows).padStart(10)}  ${t.sameContent ? 'same' : 'DIFFERENT'}`,
    );
  }
  for (const check of report.checks) out.push(`  ${check.name}: ${check.summary}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** A process's exit code, by what stopped it. */
async function main(): Promise<number> {
  const databases = chosenContexts();
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadCleaveConfig(process.env);
  if (config.dataDir === ':memory:') throw new ConfigurationError('CLEAVE_DATA_DIR is :memory:, which keeps nothing to move');
  for (const database of databases) requirePostgres(config, database.context);
  // TypeORM reports the migrations it runs through Nest's logger: JSON lines on stderr, the report on stdout.
  Logger.overrideLogger(new CleaveLogger(processLogger(config.logLevel, config.instanceId, 2)));
  process.stdout.write(
    `Moving ${databases.map((d) => d.context).join(', ')} from SQLite (${config.dataDir}) to PostgreSQL. Cleave must be stopped while its data moves; the SQLite files are only read.\n`,
  );

  // Every source first: a file in use or of another version stops the move before PostgreSQL is touched.
  const sources = new Map<string, SqliteSource>();
  const targets: DataSource[] = [];
  try {
    for (const database of databases) sources.set(database.context, openSource(config, database));
    const moves: Array<{ move: ContextMove; seeds: MigrationSeeds }> = [];
    for (const database of databases) {
      let target: DataSource;
      try {
        target = await openContextDataSource(dataSourceOptions(config, database), true);
      } catch (error) {
        throw new ConfigurationError(
          `cannot open or migrate the ${database.context} database (${databaseSetting(config, database.context)}): ${(error as Error).message}`,
        );
      }
      targets.push(target);
      const move = new ContextMove(database.context, sources.get(database.context)!, target, MOVE_CHECKS[database.context] ?? []);
      const seeds = await seedsOf(config, database);
      if (!options.replace) await move.refuseRowsOfItsOwn(seeds);
      moves.push({ move, seeds });
    }
    for (const [i, { move, seeds }] of moves.entries()) {
      process.stdout.write(
        `\n${move.context}: ${sources.get(move.context)!.file} → PostgreSQL schema ${move.context} (${databaseSetting(config, move.context)})\n`,
      );
      try {
        const report = await move.run(options.replace ?? false, seeds);
        print(report);
        const rows = report.tables.reduce((n, t) => n + t.postgresRows, 0);
        process.stdout.write(`${move.context}: moved, ${rows} row${rows === 1 ? '' : 's'} in ${report.tables.length} tables\n`);
      } catch (error) {
        if (error instanceof MoveMismatchError) {
          print(error.report);
          process.stderr.write(
            `${error.message}; rolled back, nothing of ${move.context} was kept:\n${error.problems.map((p) => `  ${p}`).join('\n')}\n`,
          );
        }
        const left = moves.slice(i + 1).map((m) => m.move.context);
        if (left.length > 0) process.stderr.write(`not moved: ${[move.context, ...left].join(', ')}\n`);
        throw error;
      }
    }
    process.stdout.write(
      `\nDone. Start Cleave with ${[...new Set(databases.map((d) => databaseSetting(config, d.context)))].join(', ')} set; keep the SQLite files until you are satisfied.\n`,
    );
    return 0;
  } finally {
    for (const source of sources.values()) source.close();
    for (const target of targets) await target.destroy();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    if (error instanceof MoveMismatchError) process.exitCode = 1;
    else if (error instanceof MoveRefusedError) {
      process.stderr.write(`${COMMAND}: refused: ${error.message}\n`);
      process.exitCode = 1;
    } else if (error instanceof ConfigurationError) {
      process.stderr.write(`${COMMAND}: ${error.message}\n`);
      process.exitCode = EXIT_CONFIG;
    } else {
      process.stderr.write(`${COMMAND}: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
