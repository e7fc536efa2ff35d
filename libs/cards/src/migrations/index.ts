import { deadLettersByEventMigration, eventsMigration, idempotencyRecordsByAgeMigration } from '@cleave/platform';
import { CreateCards1764000000000 } from './1764000000000-create-cards';
import { AuthorisationDeadline1765000000000 } from './1765000000000-authorisation-deadline';

/** The cards context's migrations, oldest first. */
export const cardsMigrations = [
  CreateCards1764000000000,
  AuthorisationDeadline1765000000000,
  idempotencyRecordsByAgeMigration(1766000000000),
  // Cards consumes the gateway's abandonments: one it can't handle must be parked, not retried for ever.
  eventsMigration(1767000000000),
  deadLettersByEventMigration(1767300000000),
];
