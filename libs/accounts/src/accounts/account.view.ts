import type { AccountView } from '@cleave/contracts';
import type { Account } from './account.entity';

/** An account as its owner sees it. */
export function accountView(account: Account): AccountView {
  return {
    id: account.id,
    ownerId: account.ownerId,
    currency: account.currency,
    description: account.description,
    created: account.createdAt,
  };
}
