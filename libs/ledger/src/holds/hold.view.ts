import type { HoldView } from '@cleave/contracts';
import type { Hold } from './hold.entity';

/** A hold as the bus reports it. */
export function holdView(h: Hold): HoldView {
  return {
    id: h.id,
    accountId: h.accountId,
    amount: h.amount,
    currency: h.currency,
    status: h.status,
    expiresAt: h.expiresAt,
    transactionId: h.transactionId,
    ...(h.postedAmount === null ? {} : { postedAmount: h.postedAmount }),
  };
}
