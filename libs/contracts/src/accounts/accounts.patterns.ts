/** Request patterns answered by the accounts context. */
export const AccountsPatterns = {
  OpenAccount: 'accounts.open-account',
  GetAccount: 'accounts.get-account',
  ListAccounts: 'accounts.list-accounts',
  GetBalance: 'accounts.get-balance',
  TopUp: 'accounts.top-up',
  Transfer: 'accounts.transfer',
  CreatePot: 'accounts.create-pot',
  ListPots: 'accounts.list-pots',
  DepositToPot: 'accounts.deposit-to-pot',
  WithdrawFromPot: 'accounts.withdraw-from-pot',
} as const;

/** Events published by the accounts context. */
export const AccountsEventNames = {
  AccountOpened: 'accounts.account-opened.v1',
} as const;
