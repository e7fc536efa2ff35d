import { idempotencyRecordsByAgeMigration } from '@cleave/platform';
import { CreateCards1764000000000 } from './1764000000000-create-cards';
import { AuthorisationDeadline1765000000000 } from './1765000000000-authorisation-deadline';

/** The cards context's migrations, oldest first. */
export const cardsMigrations = [
  CreateCards1764000000000,
  AuthorisationDeadline1765000000000,
  idempotencyRecordsByAgeMigration(1766000000000),
];
