import { errorReasons } from '../errors';

/** How cards fails a call. */
export const CardsErrors = errorReasons({
  notReversible: ['conflict', 'not_reversible'],
  /** The network sent a different authorisation under an id it used before. */
  networkTransactionIdReused: ['conflict', 'network_transaction_id_reused'],
  cardCancelled: ['conflict', 'card_cancelled'],
  notACustomer: ['forbidden', 'not_a_customer'],
  missingParam: ['bad_request', 'missing_param'],
  /** A presentment in another currency than the authorisation it clears. */
  currencyMismatch: ['bad_request', 'currency_mismatch'],
});
