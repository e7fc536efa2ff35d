import { Injectable } from '@nestjs/common';
import type { AccountView, GetAccountRequest, ListAccountsRequest } from '@cleave/contracts';
import { ContextDatabase } from '@cleave/platform';
import { Account } from '../accounts/account.entity';
import { accountView } from '../accounts/account.view';
import { OwnedAccounts } from '../ownership/owned-accounts';

/** One account, or a customer's accounts. */
@Injectable()
export class GetAccountHandler {
  constructor(
    private readonly db: ContextDatabase,
    private readonly owned: OwnedAccounts,
  ) {}

  async one(request: GetAccountRequest): Promise<AccountView> {
    return accountView(await this.owned.account(request.accountId));
  }

  async list(request: ListAccountsRequest): Promise<AccountView[]> {
    this.owned.assertActingFor(request.ownerId);
    const accounts = await this.db.read((em) =>
      em.find(Account, { where: { ownerId: request.ownerId }, order: { createdAt: 'ASC', id: 'ASC' } }),
    );
    return accounts.map(accountView);
  }
}
