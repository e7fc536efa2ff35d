import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import { IsInt, Max, Min } from 'class-validator';

export class SqliteSettings {
  /**
   * How often a background thread checkpoints each SQLite file's write-ahead log into the database (0: never;
   * SQLite then checkpoints on the committing thread every 1,000 pages, as it does by default).
   */
  @IsInt() @Min(0) @Max(60_000) CLEAVE_SQLITE_CHECKPOINT_MS = 250;
}

/**
 * With background checkpoints, SQLite's own checkpoint on commit is only the backstop for a thread that falls
 * behind: the log may grow to this many pages (~40 MiB) before a commit copies it back itself.
 */
export const BACKSTOP_CHECKPOINT_PAGES = 10_000;

/** What one checkpoint did: pages in the log, and how many of them are now in the database. */
export interface CheckpointResult {
  readonly busy: boolean;
  readonly log: number;
  readonly checkpointed: number;
}

type Reply = { readonly id: number; readonly result?: CheckpointResult; readonly error?: string };

/**
 * Checkpoints SQLite's write-ahead logs on a thread of their own. better-sqlite3 is synchronous: a checkpoint
 * run by a commit (SQLite's default, every 1,000 pages) copies the log's pages into the database and syncs
 * both files on the event loop, stalling every request meanwhile. A PASSIVE checkpoint from another
 * connection runs beside the writer without blocking it, and once it has caught up the next commit starts
 * the log again from its beginning. One thread serves every database of the process; it runs only while
 * one is open.
 */
export class WalCheckpoints {
  private readonly log = new Logger('WalCheckpoints');
  private worker: Worker | undefined;
  private readonly files = new Set<string>();
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private readonly warned = new Set<string>();
  private nextId = 1;

  /** Starts checkpointing `file` every `everyMs`; an open SQLite database in WAL mode. */
  add(file: string, everyMs: number): void {
    this.files.add(file);
    this.started().postMessage({ add: file, everyMs });
  }

  /** Stops checkpointing `file`; the thread's connection to it is closed when this settles. */
  async remove(file: string): Promise<void> {
    this.warned.delete(file);
    if (!this.files.delete(file) || this.worker === undefined) return;
    await this.ask({ remove: file });
    if (this.files.size === 0) await this.stop();
  }

  /** Checkpoints `file` now, on the thread, and says how far it got. */
  async checkpointNow(file: string): Promise<CheckpointResult> {
    if (!this.files.has(file)) throw new Error(`${file} is not checkpointed in the background`);
    const reply = await this.ask({ checkpoint: file });
    if (reply.error !== undefined) throw new Error(reply.error);
    return reply.result!;
  }

  /** Whether the thread is running (while a database is open). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  private ask(message: object): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.started().postMessage({ ...message, id });
    });
  }

  private started(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(`(${checkpointThread.toString()})()`, {
      eval: true,
      workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3') },
      // A log checkpointer needs little heap: keep its footprint small.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    // Never what keeps a process alive: the files are consistent without it.
    worker.unref();
    worker.on('message', (message: Reply | { failed: string; file: string }) => {
      if ('failed' in message) {
        // Once per file: the thread tries again at each turn, and SQLite's own checkpoints still bound the log.
        if (!this.warned.has(message.file)) this.log.warn(`cannot checkpoint ${message.file}: ${message.failed}`);
        this.warned.add(message.file);
        return;
      }
      this.waiting.get(message.id)?.(message);
      this.waiting.delete(message.id);
    });
    worker.on('error', (error) => this.log.error(`the checkpoint thread failed: ${error.message}`));
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const answer of this.waiting.values()) answer({ id: 0, error: 'the checkpoint thread stopped' });
      this.waiting.clear();
      // A thread lost while files are open: SQLite's own checkpoints on commit still bound their logs.
      if (this.files.size > 0) this.log.warn(`the checkpoint thread stopped with ${this.files.size} database(s) open`);
    });
    this.worker = worker;
    return worker;
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}

/** The one checkpointer of this process. */
export const walCheckpoints = new WalCheckpoints();

// The thread's whole program, run from its source text: plain JavaScript with nothing from outside its body.
function checkpointThread(): void {
  type Connection = { pragma(text: string): Array<{ busy: number; log: number; checkpointed: number }>; close(): void };
  type Message = { id?: number; add?: string; everyMs?: number; remove?: string; checkpoint?: string };
  // An eval'd thread is a CommonJS script: require is what it has.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const Database = require(workerData.driver) as new (file: string, options: { fileMustExist: boolean }) => Connection;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const open = new Map<string, { db: Connection | undefined; timer: NodeJS.Timeout }>();
  const failure = (error: unknown) => String((error as Error)?.message ?? error);
  const checkpoint = (file: string) => {
    const entry = open.get(file)!;
    entry.db ??= new Database(file, { fileMustExist: true });
    const [row] = entry.db.pragma('wal_checkpoint(PASSIVE)');
    return { busy: row!.busy === 1, log: row!.log, checkpointed: row!.checkpointed };
  };
  parentPort!.on('message', (message: Message) => {
    if (message.add !== undefined && !open.has(message.add)) {
      const file = message.add;
      const timer = setInterval(() => {
        try {
          checkpoint(file);
        } catch (error) {
          parentPort!.postMessage({ failed: failure(error), file });
        }
      }, message.everyMs);
      open.set(file, { db: undefined, timer });
    } else if (message.remove !== undefined) {
      const entry = open.get(message.remove);
      open.delete(message.remove);
      if (entry !== undefined) {
        clearInterval(entry.timer);
        // The last connection to close checkpoints the log and deletes it.
        entry.db?.close();
      }
      parentPort!.postMessage({ id: message.id });
    } else if (message.checkpoint !== undefined) {
      try {
        parentPort!.postMessage({ id: message.id, result: checkpoint(message.checkpoint) });
      } catch (error) {
        parentPort!.postMessage({ id: message.id, error: failure(error) });
      }
    }
  });
}
