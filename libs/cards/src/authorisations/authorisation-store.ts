import type { EntityManager } from 'typeorm';
import { CardsErrors, type MerchantView } from '@cleave/contracts';
import { CleaveError, newEntityId, sql, type ContextDatabase } from '@cleave/platform';
import { Authorisation, type AuthorisationStatus } from './authorisation.entity';

/** The states in which an authorisation still holds money the network may clear. */
export const LIVE: AuthorisationStatus[] = ['approved', 'presented', 'partially_reversed'];

export function byNetworkId(db: ContextDatabase, networkTransactionId: string): Promise<Authorisation | null> {
  return db.read((em) => em.findOneBy(Authorisation, { networkTransactionId }));
}

const uncount = sql(
  'authorisations.uncount-spend',
  'UPDATE card_daily_spend SET amount = amount - ? WHERE (card_id, day) = (SELECT card_id, spend_day FROM card_authorisations WHERE id = ?)',
);

/**
 * Takes an amount back off the card's day, as counted in this transaction (not as read before it); a
 * negative amount counts more (cleared for more than was authorised).
 */
export async function uncountSpend(db: ContextDatabase, em: EntityManager, authorisationId: string, amount: number): Promise<void> {
  if (amount !== 0) await db.run(em, uncount, [amount, authorisationId]);
}

/**
 * The record of a network id cards never decided: an abandonment that came before its authorisation, or a
 * clearing that did. A retry of the authorisation finds it and gets its answer, holding nothing.
 */
export function undecidedRecord(
  networkTransactionId: string,
  fields: Pick<Authorisation, 'cardId' | 'accountId' | 'amount' | 'currency' | 'merchant' | 'status' | 'declineReason' | 'transactionId'>,
): Authorisation {
  return {
    id: newEntityId('auth'),
    networkTransactionId,
    ...fields,
    holdId: newEntityId('hold'),
    heldAmount: 0,
    spendDay: null,
    followup: null,
    createdAt: new Date().toISOString(),
    decideBy: null,
    requestHash: null,
  };
}

/** How the ledger is told of a card payment on an account: the amount, and the merchant as the statement shows it. */
export function cardPayment(accountId: string, money: { amount: number; currency: string }, merchant: MerchantView) {
  return { accountId, amount: money.amount, currency: money.currency, description: merchant.name, category: merchant.category, merchant };
}

/** Money cleared or refunded without an authorisation is in the card's currency, said as the network's fault (not the ledger's, naming an account). */
export function assertCardCurrency(card: { currency: string }, currency: string): void {
  if (currency !== card.currency)
    throw CleaveError.ofField(
      CardsErrors.currencyMismatch,
      { field: 'currency', rule: 'currencyMismatch', message: `currency must be ${card.currency}, the card's` },
      `the card spends ${card.currency}, not ${currency}`,
    );
}
