import type { BalanceReply } from '@cleave/contracts';
import type { LedgerAccount } from './ledger-account.entity';

/** The balance reply of a book, given today's spending. */
export function balanceOf(account: LedgerAccount, spendToday: number): BalanceReply {
  return {
    accountId: account.id,
    currency: account.currency,
    balance: account.posted,
    held: account.held,
    available: account.posted - account.held,
    spendToday,
  };
}
