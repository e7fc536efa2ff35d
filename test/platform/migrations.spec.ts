import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { contextDatabasesOf } from '@cleave/platform';
import { cleaveDeployment } from '../../apps/cleave/src/deployment';
import { ServiceProcess } from '../../apps/cleave/src/launcher/service-process';
import { TestDatabase } from '../support/postgres';

const MAIN = fileURLToPath(new URL('../../dist/apps/cleave/src/main.js', import.meta.url));
const MIGRATE = fileURLToPath(new URL('../../dist/apps/cleave/src/cli/migrate.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'cleave-migrations-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Every context's schema and the migrations it must have run, each once. */
const expected = (await Promise.all(Object.values(cleaveDeployment.contexts).map((load) => load())))
  .flatMap((module) => contextDatabasesOf(module))
  .map((options) => ({
    schema: options.context,
    migrations: options.migrations.map((m) => new m().name || m.name).sort(),
  }));

/** What each schema's `migrations` table records: migration name → times recorded. */
async function recordedMigrations(url: string): Promise<Record<string, Record<string, number>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const recorded: Record<string, Record<string, number>> = {};
    for (const { schema } of expected) {
      const { rows } = await client.query<{ name: string; n: string }>(
        `SELECT name, count(*) AS n FROM "${schema}".migrations GROUP BY name`,
      );
      recorded[schema] = Object.fromEntries(rows.map((r) => [r.name, Number(r.n)]));
    }
    return recorded;
  } finally {
    await client.end();
  }
}

const onceEach = () =>
  Object.fromEntries(expected.map(({ schema, migrations }) => [schema, Object.fromEntries(migrations.map((m) => [m, 1]))]));

/** A Cleave process hosting everything in-process on `env`'s database, its every line kept. */
function cleaveProcess(label: string, env: Record<string, string>) {
  const lines: string[] = [];
  const process = new ServiceProcess(
    {
      label,
      entry: MAIN,
      env: {
        CLEAVE_SERVICES: 'all',
        CLEAVE_TRANSPORT: 'in-process',
        CLEAVE_INSTANCE_ID: label,
        PORT: '0',
        LOG_LEVEL: 'info',
        CLEAVE_DATA_DIR: dataDir,
        ...env,
      },
    },
    (_label, line) => lines.push(line),
  );
  return { process, lines };
}

/** Runs a command to its end; a failure must be one JSON line on stderr. */
function run(entry: string, env: Record<string, string>) {
  const result = spawnSync(process.execPath, [entry], {
    env: { ...process.env, CLEAVE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const errLines = result.stderr.trim().split('\n').filter(Boolean);
  return { ...result, line: errLines.length === 1 ? (JSON.parse(errLines[0]!) as { level: number; msg: string }) : undefined };
}

describe('migrations with many processes', () => {
  it('processes starting at once on one fresh PostgreSQL database migrate it once between them', async () => {
    const db = await TestDatabase.create();
    const started = ['a', 'b', 'c', 'd'].map((n) => cleaveProcess(`migrating-${n}`, { DATABASE_URL: db.url }));
    try {
      await Promise.all(started.map(({ process }) => process.start(90_000)));
      for (const { process, lines } of started) {
        const failures = lines.filter((line) => /"level":(5|6)\d/.test(line) || /migration.*fail|failed.*migration/i.test(line));
        expect(failures, `${process.spec.label}: ${failures.join('\n')}`).toEqual([]);
      }
      // TypeORM logs each migration it runs: across the four, each ran once.
      const ran = started.flatMap(({ lines }) => lines.filter((line) => /Migration \w+ has been executed successfully/.test(line)));
      expect(ran).toHaveLength(expected.reduce((n, { migrations }) => n + migrations.length, 0));
      expect(await recordedMigrations(db.url)).toEqual(onceEach());
    } finally {
      await Promise.all(started.map(({ process }) => process.stop()));
      await db.drop();
    }
  }, 180_000);
});

describe('CLEAVE_MIGRATIONS=off and npm run migrate', () => {
  it('a process told not to migrate refuses an unmigrated database at start-up, saying what to run', async () => {
    const db = await TestDatabase.create();
    try {
      const postgres = run(MAIN, { DATABASE_URL: db.url, CLEAVE_TRANSPORT: 'in-process', CLEAVE_MIGRATIONS: 'off' });
      expect(postgres.status, postgres.stderr).toBe(78);
      expect(postgres.line?.msg).toMatch(
        /the \w+ database at postgres:\/\/\S+ \(DATABASE_URL\) is not migrated and CLEAVE_MIGRATIONS=off: \d+ migrations? not applied \(\w+.*\); run npm run migrate .* or start with CLEAVE_MIGRATIONS=on/,
      );
      const sqlite = run(MAIN, { CLEAVE_DATA_DIR: join(dataDir, 'unmigrated'), CLEAVE_TRANSPORT: 'in-process', CLEAVE_MIGRATIONS: 'off' });
      expect(sqlite.status, sqlite.stderr).toBe(78);
      expect(sqlite.line?.msg).toMatch(/the \w+ database at \S+\.sqlite \(CLEAVE_DATA_DIR\) is not migrated and CLEAVE_MIGRATIONS=off/);
    } finally {
      await db.drop();
    }
  }, 90_000);

  it('npm run migrate migrates every context and exits; processes then start with CLEAVE_MIGRATIONS=off', async () => {
    const db = await TestDatabase.create();
    try {
      const first = run(MIGRATE, { DATABASE_URL: db.url });
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/Migration CreateIdentity\d+ has been executed successfully/);
      for (const { schema } of expected) expect(first.stdout).toContain(`"msg":"${schema} (DATABASE_URL): up to date"`);
      expect(await recordedMigrations(db.url)).toEqual(onceEach());

      const again = run(MIGRATE, { DATABASE_URL: db.url });
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).not.toMatch(/has been executed/);

      const { process, lines } = cleaveProcess('unmigrating', { DATABASE_URL: db.url, CLEAVE_MIGRATIONS: 'off' });
      try {
        await process.start(60_000);
        // Reads the feed's dead letters: its tables are there.
        const response = await fetch(`${process.readyMessage!.httpUrl}/admin/dead-letters?context=feed`, {
          headers: { authorization: 'Bearer cleave-development-admin-secret' },
        });
        expect(response.status, lines.join('\n')).toBe(200);
      } finally {
        await process.stop();
      }
    } finally {
      await db.drop();
    }
  }, 120_000);

  it('npm run migrate: only the contexts CLEAVE_SERVICES names; a database it cannot reach stops it, naming the variable', async () => {
    const db = await TestDatabase.create();
    try {
      const ledger = run(MIGRATE, { DATABASE_URL: db.url, CLEAVE_SERVICES: 'ledger' });
      expect(ledger.status, ledger.stderr).toBe(0);
      expect(ledger.stdout).toContain('"msg":"ledger (DATABASE_URL): up to date"');
      expect(ledger.stdout).not.toContain('identity (DATABASE_URL)');
    } finally {
      await db.drop();
    }
    const unreachable = run(MIGRATE, { CLEAVE_SERVICES: 'ledger', CLEAVE_LEDGER_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' });
    expect(unreachable.status).toBe(78);
    expect(unreachable.line?.msg).toMatch(/cannot migrate the ledger database \(CLEAVE_LEDGER_DATABASE_URL\): connect ECONNREFUSED/);
  }, 90_000);
});
