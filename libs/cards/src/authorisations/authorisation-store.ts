import type { EntityManager } from 'typeorm';
import type { MerchantView } from '@cleave/contracts';
import type { ContextDatabase } from '@cleave/platform';
import { Authorisation, type AuthorisationStatus } from './authorisation.entity';
import { CardDailySpend } from './card-daily-spend.entity';

/** The states in which an authorisation still holds money the network may clear. */
export const LIVE: AuthorisationStatus[] = ['approved', 'presented', 'partially_reversed'];

export function byNetworkId(db: ContextDatabase, networkTransactionId: string): Promise<Authorisation | null> {
  return db.read((em) => em.findOneBy(Authorisation, { networkTransactionId }));
}

/** Takes an amount back off the card's day, as counted in this transaction (not as read before it). */
export async function uncountSpend(em: EntityManager, auth: Authorisation, amount: number): Promise<void> {
  if (amount <= 0) return;
  const current = await em.findOne(Authorisation, { where: { id: auth.id }, select: { id: true, spendDay: true, cardId: true } });
  if (!current?.spendDay) return;
  await em
    .createQueryBuilder()
    .update(CardDailySpend)
    .set({ amount: () => 'amount - :sub' })
    .where('card_id = :cardId AND day = :day', { cardId: current.cardId, day: current.spendDay, sub: amount })
    .execute();
}

/** How the ledger is told of a card payment on an account: the amount, and the merchant as the statement shows it. */
export function cardPayment(accountId: string, money: { amount: number; currency: string }, merchant: MerchantView) {
  return { accountId, amount: money.amount, currency: money.currency, description: merchant.name, category: merchant.category, merchant };
}
