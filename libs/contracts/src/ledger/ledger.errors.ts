import { errorReasons } from '../errors';

/** How the ledger fails a call. */
export const LedgerErrors = errorReasons({
  /** The book's available balance (posted less held) can't cover the amount. */
  insufficientFunds: ['precondition_failed', 'insufficient_funds'],
  /** The hold was captured, released or expired already. */
  holdNotPending: ['conflict', 'hold_not_pending'],
  /** The hold's id was cancelled before the hold was placed: the authorisation gave up on it. */
  holdCancelled: ['conflict', 'hold_cancelled'],
  bookExists: ['conflict', 'book_exists'],
  notACurrentAccount: ['bad_request', 'not_a_current_account'],
  sameAccount: ['bad_request', 'same_account'],
  currencyMismatch: ['bad_request', 'currency_mismatch'],
  wrongAccountKind: ['bad_request', 'wrong_account_kind'],
  badParam: ['bad_request', 'bad_param'],
  tooMuchMetadata: ['bad_request', 'too_much_metadata'],
});
