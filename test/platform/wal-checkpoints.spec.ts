import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FeedDependencies, FeedEvents, FeedRequests, LedgerEvents } from '@cleave/contracts';
import { FeedModule } from '@cleave/feed';
import { walCheckpoints } from '@cleave/platform';
import { Module } from '@nestjs/common';
import { afterAll, describe, expect, it } from 'vitest';
import { startContexts } from '../support/context-app';
import { eventually } from '../http/customers';

const dataDir = mkdtempSync(join(tmpdir(), 'cleave-wal-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

@Module({})
class EventsOnly {}

const feedApp = (env: Record<string, string>) =>
  startContexts(
    'sqlite',
    { requests: FeedRequests, events: { ...LedgerEvents, ...FeedEvents }, dependencies: { feed: FeedDependencies } },
    { feed: FeedModule, ledger: EventsOnly },
    env,
  );

describe('SQLite write-ahead logs checkpointed on a thread of their own', () => {
  it("copies a busy database's log into it in the background, so the log starts again instead of growing", async () => {
    const file = join(mkdtempSync(join(dataDir, 'busy-')), 'busy.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    // The committing connection never checkpoints: whatever reaches the database file, the thread copied.
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO rows (body) VALUES (?)');
    const round = db.transaction(() => {
      for (let i = 0; i < 250; i++) insert.run('x'.repeat(2_000));
    });
    walCheckpoints.add(file, 20);
    try {
      const rounds = 12;
      for (let r = 1; r <= rounds; r++) {
        round();
        // Caught up: the database file holds every row written so far.
        await eventually(
          async () => statSync(file).size,
          (size) => size >= r * 250 * 2_000,
        );
      }
      // ~6 MB written; the log was started again each time it had been copied, so it holds about one round.
      expect(statSync(`${file}-wal`).size).toBeLessThan(3 * 250 * 2_000);
      expect(db.prepare('SELECT count(*) AS n FROM rows').get()).toEqual({ n: rounds * 250 });
    } finally {
      await walCheckpoints.remove(file);
      db.close();
    }
    expect(walCheckpoints.running).toBe(false);
  });

  it('runs while an app has SQLite files open, and leaves no log behind when it closes', async () => {
    const appDir = mkdtempSync(join(dataDir, 'app-'));
    const app = await feedApp({ CLEAVE_DATA_DIR: appDir });
    const file = join(appDir, 'feed.sqlite');
    expect(walCheckpoints.running).toBe(true);
    expect(await walCheckpoints.checkpointNow(file)).toMatchObject({ busy: false });
    await app.stop();
    expect(walCheckpoints.running).toBe(false);
    // The app's connection closed last, so SQLite copied the log back and deleted it.
    expect(existsSync(file)).toBe(true);
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('CLEAVE_SQLITE_CHECKPOINT_MS=0 leaves checkpoints to SQLite on commit', async () => {
    const app = await feedApp({ CLEAVE_SQLITE_CHECKPOINT_MS: '0' });
    try {
      expect(walCheckpoints.running).toBe(false);
    } finally {
      await app.stop();
    }
  });
});
