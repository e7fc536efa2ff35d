import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamicModule, Type } from '@nestjs/common';
import { createCleaveApp, loadCleaveConfig, type CleaveApp, type ContractSet } from '@cleave/platform';
import { TestDatabase } from './postgres';

export type Storage = 'sqlite' | 'postgres';

/** Some contexts booted in the test's own process, on SQLite files or on a PostgreSQL database of the test's own. */
export interface ContextApp extends CleaveApp {
  readonly storage: Storage;
  readonly databaseUrl?: string;
  stop(): Promise<void>;
}

export async function startContexts(
  storage: Storage,
  contracts: ContractSet,
  contexts: Record<string, Type<unknown> | DynamicModule>,
  env: Record<string, string> = {},
): Promise<ContextApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cleave-ctx-'));
  const database = storage === 'postgres' ? await TestDatabase.create() : undefined;
  const cleanup = async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  let app: CleaveApp;
  try {
    app = await createCleaveApp(
      {
        contracts,
        contexts: Object.fromEntries(Object.entries(contexts).map(([name, module]) => [name, async () => module])),
        version: '0.0.0',
      },
      loadCleaveConfig({
        CLEAVE_TRANSPORT: 'in-process',
        CLEAVE_MANAGEMENT_PORT: '0',
        CLEAVE_DATA_DIR: dataDir,
        LOG_LEVEL: process.env.CLEAVE_TEST_LOG_LEVEL ?? 'error',
        ...(database ? { DATABASE_URL: database.url } : {}),
        ...env,
      }),
    );
  } catch (error) {
    await cleanup();
    throw error;
  }
  return {
    ...app,
    storage,
    databaseUrl: database?.url,
    async stop() {
      await app.close();
      await cleanup();
    },
  };
}
