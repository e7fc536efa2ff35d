import { Injectable } from '@nestjs/common';
import { AccountsEventNames, LedgerPatterns, type AccountView, type OpenAccountRequest } from '@cleave/contracts';
import { ContextDatabase, MessageBus, newEntityId, Outbox } from '@cleave/platform';
import { Account } from '../accounts/account.entity';
import { accountView } from '../accounts/account.view';
import { OwnedAccounts } from '../ownership/owned-accounts';

/** Opens a current account: its ledger book first (idempotent), then the account and its event together. */
@Injectable()
export class OpenAccountHandler {
  constructor(
    private readonly db: ContextDatabase,
    private readonly bus: MessageBus,
    private readonly owned: OwnedAccounts,
    private readonly outbox: Outbox,
  ) {}

  async execute(request: OpenAccountRequest): Promise<AccountView> {
    this.owned.assertActingFor(request.ownerId);
    const id = newEntityId('acc');
    // The book comes first: an account must never exist without somewhere to hold its money.
    await this.bus.send(LedgerPatterns.OpenBook, { accountId: id, currency: request.currency, kind: 'customer' });
    const account = await this.db.transaction(async (em) => {
      const created = em.create(Account, {
        id,
        ownerId: request.ownerId,
        currency: request.currency,
        description: request.description ?? 'Current account',
        createdAt: new Date().toISOString(),
      });
      await em.insert(Account, created);
      await this.outbox.add(
        em,
        AccountsEventNames.AccountOpened,
        { accountId: id, ownerId: created.ownerId, currency: created.currency, opened: created.createdAt },
        id,
      );
      return created;
    });
    return accountView(account);
  }
}
