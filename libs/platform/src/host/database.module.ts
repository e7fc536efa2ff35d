import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions, type MigrationInterface } from 'typeorm';
import { ConfigurationError, readSettings, type CleaveConfig } from '../config/cleave-config';
import { CLEAVE_CONFIG } from '../config/tokens';
import { ContextDatabase } from '../database/context-database';
import { eachModule } from '../bus/module-tree';
import { TypeOrmPinoLogger } from '../database/typeorm-logger';
import { ContextDatabases } from '../database/context-databases';
import { EVENT_ENTITIES } from '../events/event.entities';
import { Outbox } from '../events/outbox';
import { Housekeeping, HousekeepingSettings } from '../database/housekeeping';
import { IdempotencyRecord, idempotencyRecordsPruning } from '../database/idempotency';
import { BACKSTOP_CHECKPOINT_PAGES, SqliteSettings, walCheckpoints } from '../database/wal-checkpoints';

/** A context's tables and how to build them. */
export interface ContextDatabaseOptions {
  readonly context: string;
  /** Keeps an outbox, an inbox and dead letters (their tables come from `eventsMigration(…)` in its history). */
  readonly events?: boolean;
  /**
   * Answers retried commands once (`runIdempotent`): keeps idempotency records (their table from
   * `idempotencyRecordsTable()` in a migration), pruned by housekeeping.
   */
  readonly idempotency?: boolean;
  readonly entities: readonly Function[];
  readonly migrations: readonly (new () => MigrationInterface)[];
}

/**
 * Where a context's data lives: its own PostgreSQL database (`CLEAVE_<CONTEXT>_DATABASE_URL`), its own
 * schema in a shared one (`DATABASE_URL`), or else an SQLite file of its own under CLEAVE_DATA_DIR.
 */
export function dataSourceOptions(config: CleaveConfig, options: ContextDatabaseOptions): DataSourceOptions {
  const url = config.contextDatabaseUrls[options.context] ?? config.databaseUrl;
  const common = {
    name: options.context,
    entities: entitiesOf(options),
    migrations: [...options.migrations],
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    logger: new TypeOrmPinoLogger(options.context),
  };
  if (url !== undefined) {
    return {
      ...common,
      type: 'postgres',
      url,
      schema: options.context,
      // search_path too, so hand-written SQL finds the context's tables as TypeORM's own queries do.
      extra: { max: 10, application_name: `cleave-${options.context}`, options: `-c search_path=${options.context},public` },
    };
  }
  const file = config.dataDir === ':memory:' ? ':memory:' : join(config.dataDir, `${options.context}.sqlite`);
  if (file !== ':memory:') mkdirSync(config.dataDir, { recursive: true });
  const backgroundCheckpoints = file !== ':memory:' && readSettings(SqliteSettings, config.env).CLEAVE_SQLITE_CHECKPOINT_MS > 0;
  return {
    ...common,
    type: 'better-sqlite3',
    database: file,
    enableWAL: file !== ':memory:',
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      if (backgroundCheckpoints) db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    },
  };
}

/** The setting that points a context at its database, for messages that tell an operator what to fix. */
export function databaseSetting(config: CleaveConfig, context: string): string {
  if (config.contextDatabaseUrls[context] !== undefined) return `CLEAVE_${context.toUpperCase()}_DATABASE_URL`;
  return config.databaseUrl !== undefined ? 'DATABASE_URL' : 'CLEAVE_DATA_DIR';
}

/** A database URL fit for a log line: without its password. */
function shown(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** A database opened with CLEAVE_MIGRATIONS=off that lacks some of its context's migrations. */
export class UnmigratedDatabaseError extends Error {
  override name = 'UnmigratedDatabaseError';

  constructor(readonly pending: readonly string[]) {
    super(`${pending.length} migration${pending.length === 1 ? '' : 's'} not applied (${pending.join(', ')})`);
  }
}

/** The context's migrations its database has not recorded as run. Reads only: it creates no table. */
async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const names = dataSource.migrations.map((m) => m.name ?? m.constructor.name);
  const runner = dataSource.createQueryRunner();
  try {
    if (!(await runner.hasTable('migrations'))) return names;
    const applied = new Set(((await runner.query('SELECT name FROM migrations')) as { name: string }[]).map((row) => row.name));
    return names.filter((name) => !applied.has(name));
  } finally {
    await runner.release();
  }
}

/**
 * Opens a context's DataSource, creates its schema on PostgreSQL, and migrates it unless told not to. On
 * PostgreSQL, processes starting together on one fresh database take turns under an advisory lock (per
 * schema), so only the first migrates and the others find it done. Told not to migrate, it refuses a
 * database that lacks migrations (an {@link UnmigratedDatabaseError}) rather than serve errors later.
 */
export async function openContextDataSource(options: DataSourceOptions, migrate: boolean): Promise<DataSource> {
  const dataSource = new DataSource(options);
  await dataSource.initialize();
  try {
    if (options.type === 'postgres' && options.schema) {
      const runner = dataSource.createQueryRunner();
      const lock = `cleave-migrations:${options.schema}`;
      try {
        await runner.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lock]);
        await runner.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
        if (migrate) await dataSource.runMigrations({ transaction: 'each' });
      } finally {
        await runner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lock]).catch(() => undefined);
        await runner.release();
      }
    } else if (migrate) {
      // Replicas sharing one SQLite file (development only) can race to migrate it: the loser's migration
      // rolls back, and looking again finds the winner's work recorded.
      for (let attempt = 1; ; attempt++) {
        try {
          await dataSource.runMigrations({ transaction: 'each' });
          break;
        } catch (error) {
          if (attempt >= 10 || !/already exists|SQLITE_BUSY|database is locked/i.test((error as Error).message)) throw error;
          await sleep(100 * attempt);
        }
      }
    }
    if (!migrate) {
      const pending = await pendingMigrations(dataSource);
      if (pending.length > 0) throw new UnmigratedDatabaseError(pending);
    }
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/** The context's own entities and those of the platform's parts it declares. */
function entitiesOf(options: ContextDatabaseOptions): Function[] {
  return [...options.entities, ...(options.events ? EVENT_ENTITIES : []), ...(options.idempotency ? [IdempotencyRecord] : [])];
}

// What each DatabaseModule.forContext was given, so a migrate-only run finds a module's databases without booting it.
const declared = new WeakMap<DynamicModule, ContextDatabaseOptions>();

/** The databases a context's module declares (through DatabaseModule.forContext), found in its imports. */
export function contextDatabasesOf(module: Type<unknown> | DynamicModule): ContextDatabaseOptions[] {
  const found: ContextDatabaseOptions[] = [];
  eachModule(module, (candidate) => {
    const options = typeof candidate === 'function' ? undefined : declared.get(candidate);
    if (options) found.push(options);
  });
  return found;
}

/** A context's own database, injected as {@link ContextDatabase}. Import it from the context's module. */
@Module({})
export class DatabaseModule {
  static forContext(options: ContextDatabaseOptions): DynamicModule {
    // The events' tables come from a migration placed in the context's history; without it the outbox is missing at run time.
    if (options.events && !options.migrations.some((migration) => new migration().name?.startsWith('Events'))) {
      throw new Error(`the ${options.context} database keeps events: list eventsMigration(<timestamp>) among its migrations`);
    }
    const module: DynamicModule = {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          name: options.context,
          inject: [CLEAVE_CONFIG],
          // A database that can't be opened stops the process at once, naming the setting: no retry loop.
          useFactory: (config: CleaveConfig) => ({
            ...dataSourceOptions(config, options),
            runMigrationsOnStart: config.runMigrations,
            setting: databaseSetting(config, options.context),
            retryAttempts: 0,
          }),
          dataSourceFactory: async (dataSourceOpts) => {
            const { runMigrationsOnStart, setting, ...rest } = dataSourceOpts as DataSourceOptions & {
              runMigrationsOnStart: boolean;
              setting: string;
            };
            try {
              return await openContextDataSource(rest as DataSourceOptions, runMigrationsOnStart);
            } catch (error) {
              const where =
                rest.type === 'postgres' ? shown((rest as { url: string }).url) : String((rest as { database: string }).database);
              if (error instanceof UnmigratedDatabaseError) {
                throw new ConfigurationError(
                  `the ${options.context} database at ${where} (${setting}) is not migrated and CLEAVE_MIGRATIONS=off: ${error.message}; run npm run migrate (or npm run migrate:prod) with the same settings first, or start with CLEAVE_MIGRATIONS=on`,
                );
              }
              throw new ConfigurationError(
                `cannot open the ${options.context} database at ${where} (${setting}): ${(error as Error).message}`,
              );
            }
          },
        }),
      ],
      providers: [
        {
          provide: ContextDatabase,
          useFactory: (dataSource: DataSource, registry: ContextDatabases) => {
            const db = new ContextDatabase(options.context, dataSource);
            registry.register(options.context, db, options.events === true);
            return db;
          },
          inject: [getDataSourceToken(options.context), ContextDatabases],
        },
        {
          provide: Outbox,
          useFactory: (db: ContextDatabase, config: CleaveConfig) => new Outbox(db, config.env.CLEAVE_CRASH_AFTER_COMMIT),
          inject: [ContextDatabase, CLEAVE_CONFIG],
        },
        ...(options.idempotency
          ? [
              {
                provide: Housekeeping,
                useFactory: (db: ContextDatabase, config: CleaveConfig) => {
                  const settings = readSettings(HousekeepingSettings, config.env);
                  return new Housekeeping(
                    options.context,
                    db,
                    [idempotencyRecordsPruning(settings.CLEAVE_IDEMPOTENCY_RETENTION_HOURS)],
                    settings.CLEAVE_HOUSEKEEPING_MS,
                  );
                },
                inject: [ContextDatabase, CLEAVE_CONFIG],
              },
            ]
          : []),
      ],
      exports: [ContextDatabase, Outbox],
    };
    module.providers!.push({
      provide: BackgroundCheckpoints,
      useFactory: (dataSource: DataSource, config: CleaveConfig) => {
        const { type, database } = dataSource.options as { type: string; database?: string };
        const everyMs = readSettings(SqliteSettings, config.env).CLEAVE_SQLITE_CHECKPOINT_MS;
        return new BackgroundCheckpoints(
          type === 'better-sqlite3' && database !== ':memory:' && everyMs > 0 ? database : undefined,
          everyMs,
        );
      },
      inject: [getDataSourceToken(options.context), CLEAVE_CONFIG],
    });
    declared.set(module, options);
    return module;
  }
}

/** A context's SQLite file checkpointed in the background while the app runs (see {@link walCheckpoints}). */
class BackgroundCheckpoints {
  constructor(
    private readonly file: string | undefined,
    everyMs: number,
  ) {
    if (file !== undefined) walCheckpoints.add(file, everyMs);
  }

  // Before the database closes, so its own connection is the last and clears the log away.
  async beforeApplicationShutdown(): Promise<void> {
    if (this.file !== undefined) await walCheckpoints.remove(this.file);
  }
}
