import { CreateLedgerAccounts1763800000000 } from './1763800000000-create-ledger-accounts';
import { DoubleEntry1763900000000 } from './1763900000000-double-entry';
import { CardTransactions1764000000000 } from './1764000000000-card-transactions';
import { TransactionUpdatedAt1767200000000 } from './1767200000000-transaction-updated-at';
import { deadLettersByEventMigration, eventsMigration, idempotencyRecordsByAgeMigration } from '@cleave/platform';

/** The ledger's migrations, oldest first. */
export const ledgerMigrations = [
  CreateLedgerAccounts1763800000000,
  DoubleEntry1763900000000,
  CardTransactions1764000000000,
  eventsMigration(1764100000000),
  idempotencyRecordsByAgeMigration(1766000000000),
  TransactionUpdatedAt1767200000000,
  deadLettersByEventMigration(1767300000000),
];
