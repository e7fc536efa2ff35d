import { errorReasons } from '../errors';

/** How accounts fails a call. */
export const AccountsErrors = errorReasons({
  currencyMismatch: ['bad_request', 'currency_mismatch'],
  sameAccount: ['bad_request', 'same_account'],
  wrongAccount: ['bad_request', 'wrong_account'],
  wrongOwner: ['bad_request', 'wrong_owner'],
  notACustomer: ['forbidden', 'not_a_customer'],
  /** The account has as many open pots as it may. */
  tooManyPots: ['conflict', 'too_many_pots'],
});
