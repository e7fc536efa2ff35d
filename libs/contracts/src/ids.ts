/** Entity id formats: a type prefix and 22 base-62 characters, as Monzo's (`acc_00009237aqC8c5umZmrRdh`). */
export const Ids = {
  user: /^user_[0-9A-Za-z]{22}$/,
  client: /^oauth2client_[0-9A-Za-z]{22}$/,
  account: /^acc_[0-9A-Za-z]{22}$/,
  pot: /^pot_[0-9A-Za-z]{22}$/,
  /** An account or a pot: anything with a ledger book. */
  book: /^(acc|pot)_[0-9A-Za-z]{22}$/,
  transaction: /^tx_[0-9A-Za-z]{22}$/,
  hold: /^hold_[0-9A-Za-z]{22}$/,
  card: /^card_[0-9A-Za-z]{22}$/,
  /** What the card network knows a card by. */
  cardToken: /^cardtok_[0-9A-Za-z]{22}$/,
  merchant: /^merch_[0-9A-Za-z]{22}$/,
  authorisation: /^auth_[0-9A-Za-z]{22}$/,
  feedItem: /^feeditem_[0-9A-Za-z]{22}$/,
  webhook: /^webhook_[0-9A-Za-z]{22}$/,
  notification: /^notif_[0-9A-Za-z]{22}$/,
  /** A dead letter: an event a context's handler gave up on. */
  deadLetter: /^dlq_[0-9A-Za-z]{22}$/,
} as const;

/** Largest amount one movement may carry, in minor units (£10m): far below 2^53, so sums stay exact. */
export const MAX_AMOUNT = 1_000_000_000;

/** class-validator's IsUrl options for a URL Cleave will show or call: http or https, scheme required. */
export const HTTP_URL = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };
