import { Injectable } from '@nestjs/common';
import { CleaveError, ContextDatabase, currentContext } from '@cleave/platform';
import { Account } from '../accounts/account.entity';
import { Pot } from '../pots/pot.entity';

/**
 * Loads accounts and pots for the caller. A user principal sees only their own: anyone else's is
 * `not_found`, exactly like a missing one, so ids don't leak. Calls without a user principal (the bank's
 * own work) see everything.
 */
@Injectable()
export class OwnedAccounts {
  constructor(private readonly db: ContextDatabase) {}

  /** The user the call acts for, if it acts for one. */
  callerUserId(): string | undefined {
    const principal = currentContext()?.principal;
    return principal?.kind === 'user' ? principal.id : undefined;
  }

  /** Refuses a user acting on another user's behalf. */
  assertActingFor(ownerId: string): void {
    const caller = this.callerUserId();
    if (caller !== undefined && caller !== ownerId) throw CleaveError.badRequest('owner_id must be the authenticated user', 'wrong_owner');
  }

  async account(accountId: string): Promise<Account> {
    const account = await this.db.read((em) => em.findOneBy(Account, { id: accountId }));
    const caller = this.callerUserId();
    if (!account || (caller !== undefined && account.ownerId !== caller)) throw CleaveError.notFound(`no account ${accountId}`);
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
