import { Injectable } from '@nestjs/common';
import { CleaveError, ContextDatabase, currentContext } from '@cleave/platform';
import { Account } from '../accounts/account.entity';
import { Pot } from '../pots/pot.entity';
import { AccountsErrors } from '@cleave/contracts';

/**
 * Loads accounts and pots for the customer a call acts for: they see only their own, and anyone else's is
 * `not_found`, exactly like a missing one, so ids don't leak. A call that acts for no customer sees none:
 * accounts' patterns require the customer scope, and this is where that rule meets the data.
 */
@Injectable()
export class OwnedAccounts {
  constructor(private readonly db: ContextDatabase) {}

  /** The customer the call acts for. */
  callerUserId(): string {
    const principal = currentContext()?.principal;
    if (principal?.kind !== 'user') throw CleaveError.of(AccountsErrors.notACustomer, 'accounts act only for a customer');
    return principal.id;
  }

  /** Refuses a customer acting on another's behalf. */
  assertActingFor(ownerId: string): void {
    if (this.callerUserId() !== ownerId) throw CleaveError.of(AccountsErrors.wrongOwner, 'owner_id must be the authenticated user');
  }

  async account(accountId: string): Promise<Account> {
    const caller = this.callerUserId();
    const account = await this.db.read((em) => em.findOneBy(Account, { id: accountId }));
    if (!account || account.ownerId !== caller) throw CleaveError.notFound(`no account ${accountId}`);
    return account;
  }

  /** Any existing account, whoever owns it: the destination of a payment. */
  async anyAccount(accountId: string): Promise<Account> {
    const account = await this.db.read((em) => em.findOneBy(Account, { id: accountId }));
    if (!account) throw CleaveError.notFound(`no account ${accountId}`);
    return account;
  }

  async pot(potId: string): Promise<{ pot: Pot; account: Account }> {
    const pot = await this.db.read((em) => em.findOneBy(Pot, { id: potId, deleted: false }));
    if (!pot) throw CleaveError.notFound(`no pot ${potId}`);
    try {
      return { pot, account: await this.account(pot.accountId) };
    } catch {
      throw CleaveError.notFound(`no pot ${potId}`);
    }
  }
}
