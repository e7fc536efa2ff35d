import { CreateAccounts1763800000000 } from './1763800000000-create-accounts';
import { deadLettersByEventMigration, eventsMigration } from '@cleave/platform';
import { CreatePots1763900000000 } from './1763900000000-create-pots';

/** The accounts context's migrations, oldest first. */
export const accountsMigrations = [
  CreateAccounts1763800000000,
  CreatePots1763900000000,
  eventsMigration(1764100000000),
  deadLettersByEventMigration(1767300000000),
];
