import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Table, TableIndex } from 'typeorm';

/** An event written in the same transaction as the change it reports, waiting for the relay to publish it. */
@Entity({ name: 'outbox' })
@Index(['publishedAt', 'seq'])
export class OutboxEvent {
  /** Publication order. */
  @PrimaryGeneratedColumn('increment')
  seq!: number;

  @Column({ name: 'event_id', type: 'varchar', length: 40, unique: true })
  eventId!: string;

  @Column({ type: 'varchar', length: 120 })
  event!: string;

  /** What the event is about (an account, a transaction): events about one aggregate keep their order. */
  @Column({ name: 'aggregate_id', type: 'varchar', length: 64 })
  aggregateId!: string;

  @Column({ type: 'text' })
  payload!: string;

  /** The call context it was written in: trace and request id (JSON). */
  @Column({ type: 'text' })
  context!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;

  @Column({ name: 'published_at', type: 'varchar', length: 30, nullable: true })
  publishedAt!: string | null;
}

/** An event a context has handled, so a redelivery is a no-op. */
@Entity({ name: 'inbox' })
export class InboxRecord {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  context!: string;

  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 40 })
  eventId!: string;

  @Column({ name: 'processed_at', type: 'varchar', length: 30 })
  processedAt!: string;
}

/** An event a context's handler kept failing on, parked for an operator to look at and replay. */
@Entity({ name: 'dead_letters' })
export class DeadLetter {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ type: 'varchar', length: 40 })
  context!: string;

  @Column({ name: 'event_id', type: 'varchar', length: 40 })
  eventId!: string;

  @Column({ type: 'varchar', length: 120 })
  event!: string;

  /** The whole event envelope (JSON), as delivered. */
  @Column({ type: 'text' })
  envelope!: string;

  @Column({ type: 'text' })
  error!: string;

  @Column({ type: 'int' })
  attempts!: number;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;

  @Column({ name: 'replayed_at', type: 'varchar', length: 30, nullable: true })
  replayedAt!: string | null;
}

/** The entities a context that publishes or consumes events adds to its DataSource. */
export const EVENT_ENTITIES = [OutboxEvent, InboxRecord, DeadLetter];

/** The tables of {@link EVENT_ENTITIES}, for a context's migration. */
export function eventTables(): { tables: Table[]; indices: Array<[string, TableIndex]> } {
  return {
    tables: [
      new Table({
        name: 'outbox',
        columns: [
          { name: 'seq', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'event_id', type: 'varchar', length: '40', isUnique: true },
          { name: 'event', type: 'varchar', length: '120' },
          { name: 'aggregate_id', type: 'varchar', length: '64' },
          { name: 'payload', type: 'text' },
          { name: 'context', type: 'text' },
          { name: 'created_at', type: 'varchar', length: '30' },
          { name: 'published_at', type: 'varchar', length: '30', isNullable: true },
        ],
      }),
      new Table({
        name: 'inbox',
        columns: [
          { name: 'context', type: 'varchar', length: '40', isPrimary: true },
          { name: 'event_id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'processed_at', type: 'varchar', length: '30' },
        ],
      }),
      new Table({
        name: 'dead_letters',
        columns: [
          { name: 'id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'context', type: 'varchar', length: '40' },
          { name: 'event_id', type: 'varchar', length: '40' },
          { name: 'event', type: 'varchar', length: '120' },
          { name: 'envelope', type: 'text' },
          { name: 'error', type: 'text' },
          { name: 'attempts', type: 'int' },
          { name: 'created_at', type: 'varchar', length: '30' },
          { name: 'replayed_at', type: 'varchar', length: '30', isNullable: true },
        ],
      }),
    ],
    indices: [['outbox', new TableIndex({ name: 'outbox_unpublished', columnNames: ['published_at', 'seq'] })]],
  };
}
