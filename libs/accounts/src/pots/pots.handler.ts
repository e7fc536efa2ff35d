import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  AccountsErrors,
  type CreatePotRequest,
  LedgerPatterns,
  type ListPotsRequest,
  type MovePotMoneyRequest,
  type PotView,
} from '@cleave/contracts';
import { CleaveError, ContextDatabase, MessageBus, newEntityId } from '@cleave/platform';
import { OwnedAccounts } from '../ownership/owned-accounts';
import { Pot } from './pot.entity';

/** Pots per current account, well within the 100 books a balance asks the ledger for at once. */
export const MAX_OPEN_POTS = 50;

/** Savings pots: created under a current account, money moved in and out with a dedupe id. */
@Injectable()
export class PotsHandler {
  constructor(
    private readonly db: ContextDatabase,
    private readonly bus: MessageBus,
    private readonly owned: OwnedAccounts,
  ) {}

  async create(request: CreatePotRequest): Promise<PotView> {
    const account = await this.owned.account(request.currentAccountId);
    // A balance and a pot list ask the ledger for every pot's balance in one call, which takes 100 books.
    const countOpen = (em: EntityManager) => em.countBy(Pot, { accountId: account.id, deleted: false });
    const tooMany = () => CleaveError.of(AccountsErrors.tooManyPots, `an account has at most ${MAX_OPEN_POTS} pots`);
    if ((await this.db.read(countOpen)) >= MAX_OPEN_POTS) throw tooMany();
    // The book first, outside any transaction of this context's: one left over by a creation refused below is empty.
    const id = newEntityId('pot');
    await this.bus.send(LedgerPatterns.OpenBook, { accountId: id, currency: account.currency, kind: 'pot' });
    const now = new Date().toISOString();
    const pot: Pot = {
      id,
      accountId: account.id,
      name: request.name,
      currency: account.currency,
      deleted: false,
      createdAt: now,
      updatedAt: now,
    };
    // Counted again under the account's lock: creations at once each counted 49 and all went in.
    await this.db.transaction(async (em) => {
      await this.db.lockKeys(em, [`pots:${account.id}`]);
      if ((await countOpen(em)) >= MAX_OPEN_POTS) throw tooMany();
      await em.insert(Pot, pot);
    });
    return potView(pot, 0);
  }

  async list(request: ListPotsRequest): Promise<PotView[]> {
    const account = await this.owned.account(request.currentAccountId);
    const pots = await this.db.read((em) =>
      em.find(Pot, { where: { accountId: account.id, deleted: false }, order: { createdAt: 'ASC', id: 'ASC' } }),
    );
    if (pots.length === 0) return [];
    const balances = await this.bus.send(LedgerPatterns.GetBalances, { accountIds: pots.map((p) => p.id) });
    return pots.map((pot, i) => potView(pot, balances[i]!.balance));
  }

  deposit(request: MovePotMoneyRequest): Promise<PotView> {
    return this.move(request, 'pot_deposit');
  }

  withdraw(request: MovePotMoneyRequest): Promise<PotView> {
    return this.move(request, 'pot_withdrawal');
  }

  private async move(request: MovePotMoneyRequest, kind: 'pot_deposit' | 'pot_withdrawal'): Promise<PotView> {
    const { pot, account } = await this.owned.pot(request.potId);
    if (request.accountId !== account.id) throw CleaveError.of(AccountsErrors.wrongAccount, `pot ${pot.id} belongs to another account`);
    const [sourceAccountId, destinationAccountId] = kind === 'pot_deposit' ? [account.id, pot.id] : [pot.id, account.id];
    // dedupe_id is the pot move's idempotency key, as Monzo's API has it.
    const { debit } = await this.bus.send(
      LedgerPatterns.Transfer,
      { sourceAccountId, destinationAccountId, amount: request.amount, currency: pot.currency, kind, description: pot.name },
      { idempotencyKey: `${kind}:${pot.id}:${request.dedupeId}` },
    );
    // The pot changed when the money moved: a replayed move answers the first one's transaction, and changes nothing.
    const movedAt = debit.created;
    if (movedAt > pot.updatedAt) {
      await this.db.transaction((em) =>
        em
          .createQueryBuilder()
          .update(Pot)
          .set({ updatedAt: movedAt })
          .where('id = :id AND updated_at < :movedAt', { id: pot.id, movedAt })
          .execute(),
      );
    }
    const balance = await this.bus.send(LedgerPatterns.GetBalance, { accountId: pot.id });
    return potView({ ...pot, updatedAt: movedAt > pot.updatedAt ? movedAt : pot.updatedAt }, balance.balance);
  }
}

function potView(pot: Pot, balance: number): PotView {
  return {
    id: pot.id,
    name: pot.name,
    currentAccountId: pot.accountId,
    balance,
    currency: pot.currency,
    created: pot.createdAt,
    updated: pot.updatedAt,
    deleted: pot.deleted,
  };
}
