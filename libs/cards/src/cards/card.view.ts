import type { CardView } from '@cleave/contracts';
import type { Card } from './card.entity';

export function cardView(card: Card): CardView {
  return {
    id: card.id,
    accountId: card.accountId,
    last4: card.last4,
    expiryMonth: card.expiryMonth,
    expiryYear: card.expiryYear,
    status: card.status,
    token: card.token,
    currency: card.currency,
    limits: { perTransaction: card.limitPerTransaction, perDay: card.limitPerDay },
    created: card.createdAt,
  };
}
