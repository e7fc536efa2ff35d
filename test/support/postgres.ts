import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { loadCleaveConfig, type CleaveConfig } from '@cleave/platform';
import pg from 'pg';

/** The server tests create their databases on: POSTGRES_URL, or the local one with trust auth. */
export const POSTGRES_ADMIN_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A PostgreSQL database of a test's own, dropped when it is done. */
export class TestDatabase {
  private constructor(readonly name: string) {}

  static async create(): Promise<TestDatabase> {
    const name = `cleave_test_${randomBytes(6).toString('hex')}`;
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    return new TestDatabase(name);
  }

  get url(): string {
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${this.name}`;
    return url.toString();
  }

  async drop(): Promise<void> {
    await admin(async (c) => {
      // A closed pool's sessions linger on the server for a few ms; dropping under them makes the
      // closing client report "terminating connection due to administrator command".
      for (let i = 0; i < 40; i++) {
        const { rows } = await c.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [this.name]);
        if (Number(rows[0]!.n) === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await c.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
    });
  }
}

/** Runs `work` on a connection to the server as its administrator (POSTGRES_ADMIN_URL). */
export async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The two storages a context's own tests run on, each a settings maker and its clean-up: an SQLite folder
 * under `dataDir`, and a PostgreSQL database of the test's own.
 */
export function storageEngines(dataDir: string): Array<[string, () => Promise<{ config: CleaveConfig; dispose: () => Promise<void> }>]> {
  return [
    [
      'SQLite',
      async () => ({
        config: loadCleaveConfig({ CLEAVE_DATA_DIR: mkdtempSync(join(dataDir, 'sqlite-')) }),
        dispose: async () => undefined,
      }),
    ],
    [
      'PostgreSQL',
      async () => {
        const db = await TestDatabase.create();
        return { config: loadCleaveConfig({ DATABASE_URL: db.url }), dispose: () => db.drop() };
      },
    ],
  ];
}
