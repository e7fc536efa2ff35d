import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  ContextDatabase,
  createCleaveApp,
  dataSourceOptions,
  Housekeeping,
  loadCleaveConfig,
  openContextDataSource,
  sql,
  type CleaveConfig,
  type ContextDatabaseOptions,
} from '@cleave/platform';
import { cleaveDeployment } from '../../../apps/cleave/src/deployment';
import { IdentitySettings } from '../src/identity.settings';
import { LoginAttempt } from '../src/login/login-attempt.entity';
import { loginAttemptsPruning } from '../src/login/login-limiter';
import { identityMigrations } from '../src/migrations';
import { storageEngines } from '../../../test/support/postgres';

const dataDir = mkdtempSync(join(tmpdir(), 'cleave-housekeeping-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
// The migrations each test runs would be narrated in colour on the test's output.
Logger.overrideLogger(['error']);

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const settings = new IdentitySettings();
const loginKeepMs = loginAttemptsPruning(settings).keepMs;

/** More old rows than one delete batch takes, so pruning has to come back for the rest. */
const OLD_ROWS = 1_203;

// Plain SQL, as it needs no entity metadata: the running app's DataSource has its own.
const insertAttempt = sql(
  'test.insert-attempt',
  "INSERT INTO login_attempts (id, email, address, succeeded, at) VALUES (?, 'someone@example.com', '203.0.113.9', ?, ?)",
);
const attemptIds = sql('test.attempt-ids', 'SELECT id FROM login_attempts ORDER BY id');

async function insertLoginAttempts(db: ContextDatabase, rows: Array<{ id: string; at: number }>): Promise<void> {
  await db.transaction(async (em) => {
    for (const { id, at } of rows) await db.run(em, insertAttempt, [id, false, iso(at)]);
  });
}

const loginAttemptIds = async (db: ContextDatabase) => (await db.all<{ id: string }>(undefined, attemptIds, [])).map((row) => row.id);

const engines = storageEngines(dataDir);

describe.each(engines)('housekeeping on %s', (_engine, open) => {
  const opened: DataSource[] = [];
  let dispose: (() => Promise<void>) | undefined;
  afterEach(async () => {
    for (const dataSource of opened.splice(0)) await dataSource.destroy();
    await dispose?.();
  });

  async function contextDatabase(
    config: CleaveConfig,
    context: string,
    entities: Function[],
    migrations: ContextDatabaseOptions['migrations'],
  ): Promise<ContextDatabase> {
    const dataSource = await openContextDataSource(dataSourceOptions(config, { context, events: true, entities, migrations }), true);
    opened.push(dataSource);
    return new ContextDatabase(context, dataSource);
  }

  it('login attempts go once past the rate-limit window (and its allowance for clock skew); those inside it stay', async () => {
    const engine = await open();
    dispose = engine.dispose;
    const db = await contextDatabase(engine.config, 'identity', [LoginAttempt], identityMigrations);
    const old = Array.from({ length: OLD_ROWS }, (_, i) => ({ id: `old-${i}`, at: NOW - loginKeepMs - 1 - i * 1000 }));
    const kept = [
      { id: 'just-inside-keeping', at: NOW - loginKeepMs + 1 },
      { id: 'inside-window', at: NOW - settings.CLEAVE_LOGIN_WINDOW_SECONDS * 1000 + 1_000 },
      { id: 'just-now', at: NOW },
    ];
    await insertLoginAttempts(db, [...old, ...kept]);

    const housekeeping = new Housekeeping('identity', db, [loginAttemptsPruning(settings)], 60_000);
    expect(await housekeeping.prune(NOW)).toEqual({ login_attempts: OLD_ROWS });
    expect(await loginAttemptIds(db)).toEqual(kept.map((k) => k.id).sort());
    expect(await housekeeping.prune(NOW)).toEqual({ login_attempts: 0 });
  });
});

describe('housekeeping in a running process', () => {
  it('identity prunes old login attempts on its timer (CLEAVE_HOUSEKEEPING_MS)', async () => {
    const config = loadCleaveConfig({
      CLEAVE_DATA_DIR: mkdtempSync(join(dataDir, 'app-')),
      CLEAVE_TRANSPORT: 'in-process',
      CLEAVE_HOUSEKEEPING_MS: '1000',
      PORT: '0',
      LOG_LEVEL: 'silent',
    });
    const cleave = await createCleaveApp(cleaveDeployment, config);
    try {
      const db = new ContextDatabase('identity', cleave.app.get<DataSource>(getDataSourceToken('identity'), { strict: false }));
      await insertLoginAttempts(db, [
        { id: 'last-week', at: Date.now() - 7 * 24 * 3_600_000 },
        { id: 'just-now', at: Date.now() },
      ]);
      const ids = () => loginAttemptIds(db);
      const deadline = Date.now() + 10_000;
      while ((await ids()).includes('last-week')) {
        if (Date.now() > deadline) throw new Error('the old login attempt was not pruned in time');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await ids()).toEqual(['just-now']);
    } finally {
      await cleave.close();
    }
  });
});
