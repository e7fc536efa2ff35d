/** The accounts context: its module is its whole public surface. */
export { AccountsModule } from './accounts.module';
