/** The ledger context: its module is its whole public surface. */
export { LedgerModule } from './ledger.module';
