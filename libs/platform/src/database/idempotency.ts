import { Column, Entity, PrimaryColumn, Table, TableIndex, type EntityManager, type MigrationInterface, type QueryRunner } from 'typeorm';
import { canonicalJson, sha256Hex } from '../context/hashing';
import { currentContext } from '../context/call-context';
import { CleaveError } from '../errors/cleave-error';
import type { ContextDatabase } from './context-database';
import type { PrunedTable } from './housekeeping';
import { sql } from './sql';
import { PlatformErrors } from '@cleave/contracts';

/** The first result of an idempotent command, kept under its key. Add it to a context's entities. */
@Entity({ name: 'idempotency_records' })
export class IdempotencyRecord {
  /** Who and what: the principal and the pattern, so keys of different callers never meet. */
  @PrimaryColumn({ type: 'varchar', length: 200 })
  scope!: string;

  @PrimaryColumn({ name: 'idempotency_key', type: 'varchar', length: 255 })
  key!: string;

  @Column({ name: 'request_hash', type: 'varchar', length: 64 })
  requestHash!: string;

  @Column({ type: 'text' })
  response!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;
}

/** The table of {@link IdempotencyRecord}, for a context's migration. */
export function idempotencyRecordsTable(): Table {
  return new Table({
    name: 'idempotency_records',
    columns: [
      { name: 'scope', type: 'varchar', length: '200', isPrimary: true },
      { name: 'idempotency_key', type: 'varchar', length: '255', isPrimary: true },
      { name: 'request_hash', type: 'varchar', length: '64' },
      { name: 'response', type: 'text' },
      { name: 'created_at', type: 'varchar', length: '30' },
    ],
  });
}

/** idempotency_records as housekeeping prunes it: a key is honoured for `retentionHours`, then forgotten. */
export function idempotencyRecordsPruning(retentionHours: number): PrunedTable {
  return { table: 'idempotency_records', key: ['scope', 'idempotency_key'], column: 'created_at', keepMs: retentionHours * 3_600_000 };
}

/** The migration that indexes idempotency_records by age, so pruning finds old keys without a scan. */
export function idempotencyRecordsByAgeMigration(timestamp: number): new () => MigrationInterface {
  return class implements MigrationInterface {
    readonly name = `IdempotencyRecordsByAge${timestamp}`;

    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.createIndex(
        'idempotency_records',
        new TableIndex({ name: 'idempotency_records_created_at', columnNames: ['created_at'] }),
      );
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.dropIndex('idempotency_records', 'idempotency_records_created_at');
    }
  };
}

/**
 * Runs a command at most once per idempotency key, with Stripe's semantics: the same key and request
 * return the first result; the same key with another request is a `conflict`. The key is the current call
 * context's. The record is written in the same transaction as the command's effects, so a command either
 * happened and is recorded, or neither; two concurrent calls with one key serialise on the record's
 * primary key, and the loser replays the winner's result. A command that fails leaves no record, so a retry
 * runs it again.
 */
export async function runIdempotent<T>(
  db: ContextDatabase,
  pattern: string,
  request: unknown,
  work: (em: EntityManager) => Promise<T>,
  options: {
    /** A key of the command's own (say, the card network's id of a message) instead of the call context's. */
    readonly explicitKey?: string;
    /**
     * Commands whose callers' keys are one set with this one's (a customer's top-ups and transfers): a key
     * the same caller used for one of them is a `conflict` here too, as Stripe has it for a key reused on
     * another endpoint.
     */
    readonly sharesKeysWith?: readonly string[];
  } = {},
): Promise<T> {
  const keyed = idempotencyOf(pattern, request, options.explicitKey);
  const stored = await earlierAnswer<T>(db, undefined, keyed);
  if (stored) return stored.replay;
  const sharesKeysWith = options.sharesKeysWith ?? [];
  // Records are kept per command, so a key recorded before the shared mark below existed is found here.
  for (const other of sharesKeysWith) {
    if ((await db.get(undefined, findKey, [scopeOf(other), keyed.key])) !== undefined) throw keyUsedElsewhere();
  }
  return db.transaction(async (em) => {
    const earlier = await claim<T>(db, em, keyed, null);
    if (earlier) return earlier.replay;
    if (sharesKeysWith.length > 0) await claimSharedKey(db, em, keyed.key, pattern);
    const result = await work(em);
    await db.run(em, answerKey, [JSON.stringify(result), keyed.scope, keyed.key]);
    return result;
  });
}

/** The scope of a caller's keys that several commands share (see `sharesKeysWith`). */
const SHARED_KEYS = 'shared-keys';

/**
 * Marks `key` as `pattern`'s in the caller's shared set, in the command's transaction: the first command to
 * mark a key owns it. Two commands marking one key at once meet on the record's primary key, so the later
 * waits for the earlier to commit, then sees whose it is.
 */
async function claimSharedKey(db: ContextDatabase, em: EntityManager, key: string, pattern: string): Promise<void> {
  const mark: Keyed = { scope: scopeOf(SHARED_KEYS), key, requestHash: sha256Hex(pattern) };
  if ((await db.run(em, claimKey, recordValues(mark, null))) === 1) return;
  const owner = await db.get<StoredAnswer>(em, findKey, [mark.scope, key]);
  if (owner?.requestHash !== mark.requestHash) throw keyUsedElsewhere();
}

function keyUsedElsewhere(): CleaveError {
  return CleaveError.of(PlatformErrors.idempotencyKeyReused, 'this idempotency key was used for a different kind of request');
}

const answerKey = sql('idempotency.answer', 'UPDATE idempotency_records SET response = ? WHERE scope = ? AND idempotency_key = ?');
/** The key record's columns, in the order of {@link idempotencyRecord}'s values. */
export const IDEMPOTENCY_COLUMNS = 'scope, idempotency_key, request_hash, response, created_at';

const claimKey = sql(
  'idempotency.claim',
  `INSERT INTO idempotency_records (${IDEMPOTENCY_COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
);
const findKey = sql(
  'idempotency.find',
  'SELECT request_hash AS "requestHash", response FROM idempotency_records WHERE scope = ? AND idempotency_key = ?',
);

/**
 * {@link runIdempotent} for a hot path whose result is known before its effects: in `em`'s transaction,
 * records the key with the result in one statement. Returns undefined when the key is new (go ahead with
 * the effects: they commit with the record, or neither does), or the first result when the same request
 * came before; the same key with another request is a `conflict`. Concurrent callers with one key meet on
 * the record's primary key: the later one waits for the earlier to commit, then replays it.
 */
export async function claimIdempotency<T>(
  db: ContextDatabase,
  em: EntityManager,
  pattern: string,
  request: unknown,
  result: T,
  explicitKey?: string,
): Promise<{ readonly replay: T } | undefined> {
  return claim(db, em, idempotencyOf(pattern, request, explicitKey), result);
}

/**
 * The key's record for a statement that writes it along with the command's effects (a step done in one
 * PostgreSQL statement), with `result`: the values of {@link IDEMPOTENCY_COLUMNS}. When that statement
 * fails on the record's primary key, or does nothing, `earlier` answers with the first result under the
 * key, if there is one.
 */
export function idempotencyRecord(
  db: ContextDatabase,
  pattern: string,
  request: unknown,
  result: unknown,
): { readonly values: readonly unknown[]; earlier<T>(): Promise<{ readonly replay: T } | undefined> } {
  const keyed = idempotencyOf(pattern, request, undefined);
  return { values: recordValues(keyed, result), earlier: () => earlierAnswer(db, undefined, keyed) };
}

/** Records the key with `result` in `em`'s transaction, or answers with the first result under it. */
async function claim<T>(
  db: ContextDatabase,
  em: EntityManager,
  keyed: Keyed,
  result: unknown,
): Promise<{ readonly replay: T } | undefined> {
  if ((await db.run(em, claimKey, recordValues(keyed, result))) === 1) return undefined;
  return (await earlierAnswer<T>(db, em, keyed))!;
}

/** The values of {@link IDEMPOTENCY_COLUMNS} for the key with `result`. */
function recordValues({ scope, key, requestHash }: Keyed, result: unknown): unknown[] {
  return [scope, key, requestHash, JSON.stringify(result), new Date().toISOString()];
}

/** The first answer under the key (read in `em`'s transaction, if given), if there is one: see {@link replayOf}. */
async function earlierAnswer<T>(
  db: ContextDatabase,
  em: EntityManager | undefined,
  keyed: Keyed,
): Promise<{ readonly replay: T } | undefined> {
  const stored = await db.get<StoredAnswer>(em, findKey, [keyed.scope, keyed.key]);
  return stored === undefined ? undefined : { replay: replayOf<T>(stored, keyed.requestHash) };
}

/**
 * The first result of a command already answered under this key, if there is one; a `conflict` when the
 * key was used for another request. For commands that call other services before their own transaction
 * (which then {@link claimIdempotency}s): a repeat is answered without calling anyone.
 */
export async function answeredBefore<T>(
  db: ContextDatabase,
  pattern: string,
  request: unknown,
  explicitKey?: string,
): Promise<{ readonly replay: T } | undefined> {
  return earlierAnswer<T>(db, undefined, idempotencyOf(pattern, request, explicitKey));
}

/** A command's key where it is kept, and the hash of the request it came with. */
interface Keyed {
  readonly scope: string;
  readonly key: string;
  readonly requestHash: string;
}

/** A stored answer, as the key's record keeps it. */
type StoredAnswer = Pick<IdempotencyRecord, 'requestHash' | 'response'>;

/**
 * Where a command's key is kept: scoped to who calls (the principal, or `internal`) and what (the pattern),
 * so keys of different callers never meet; the key is the command's own or the call context's.
 */
function idempotencyOf(pattern: string, request: unknown, explicitKey: string | undefined): Keyed {
  const context = currentContext();
  const key = explicitKey ?? context?.idempotencyKey;
  if (!key) throw CleaveError.of(PlatformErrors.missingIdempotencyKey, `${pattern} moves money and needs an idempotency key`);
  return { scope: scopeOf(pattern), key, requestHash: sha256Hex(canonicalJson(request)) };
}

/** Where the current caller's keys for `pattern` are kept. */
function scopeOf(pattern: string): string {
  return `${currentContext()?.principal?.id ?? 'internal'}:${pattern}`;
}

/** The first answer again, when this is the same request; another request under the key is a `conflict`. */
function replayOf<T>(stored: StoredAnswer, requestHash: string): T {
  if (stored.requestHash !== requestHash)
    throw CleaveError.of(PlatformErrors.idempotencyKeyReused, 'this idempotency key was used for a different request');
  return JSON.parse(stored.response) as T;
}
