// `npm run migrate`: brings the databases of the contexts placed here up to date, then exits.
import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import {
  CleaveLogger,
  ConfigurationError,
  contextDatabasesOf,
  databaseSetting,
  dataSourceOptions,
  loadCleaveConfig,
  openContextDataSource,
  processLogger,
  resolvePlacement,
} from '@cleave/platform';
import { cleaveDeployment } from '../deployment';
import { commandLine } from './command-line';

const USAGE = `Usage: npm run migrate   (npm run migrate:prod runs the built copy without building)

Runs the pending migrations of the databases of the contexts CLEAVE_SERVICES names (default all), where
DATABASE_URL, CLEAVE_<CONTEXT>_DATABASE_URL or CLEAVE_DATA_DIR put them, and exits 0 once each is up to
date. For deployments whose processes start with CLEAVE_MIGRATIONS=off. Safe beside processes starting or
migrating the same PostgreSQL database: they take turns, schema by schema.`;

/** EX_CONFIG from sysexits.h, as a Cleave process exits on a bad setting. */
const EXIT_CONFIG = 78;

commandLine('migrate', USAGE, {});
if (existsSync('.env')) process.loadEnvFile('.env');
let instance = 'migrate';
try {
  const config = loadCleaveConfig(process.env);
  instance = config.instanceId;
  const log = processLogger(config.logLevel, instance);
  // TypeORM reports each migration it runs through Nest's logger: JSON lines like a Cleave process's.
  Logger.overrideLogger(new CleaveLogger(log));
  const { contexts } = cleaveDeployment;
  const placement = resolvePlacement(config.services, Object.keys(contexts), 'auto');
  for (const [name, load] of Object.entries(contexts)) {
    if (!placement.hosted.has(name)) continue;
    for (const options of contextDatabasesOf(await load())) {
      const setting = databaseSetting(config, options.context);
      let dataSource;
      try {
        dataSource = await openContextDataSource(dataSourceOptions(config, options), true);
      } catch (error) {
        throw new ConfigurationError(`cannot migrate the ${options.context} database (${setting}): ${(error as Error).message}`);
      }
      await dataSource.destroy();
      log.info({ context: 'Migrate' }, `${options.context} (${setting}): up to date`);
    }
  }
} catch (error) {
  const configuration = error instanceof ConfigurationError;
  processLogger('fatal', instance, 2).fatal(
    { context: 'Migrate', ...(configuration ? {} : { err: error }) },
    configuration ? error.message : `cannot migrate: ${(error as Error).message ?? String(error)}`,
  );
  process.exit(configuration ? EXIT_CONFIG : 1);
}
