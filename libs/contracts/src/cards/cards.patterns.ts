/** Request patterns answered by the cards context. */
export const CardsPatterns = {
  IssueCard: 'cards.issue-card',
  ListCards: 'cards.list-cards',
  SetCardStatus: 'cards.set-card-status',
  SetCardLimits: 'cards.set-card-limits',
  Authorise: 'cards.authorise',
  AbandonAuthorisation: 'cards.abandon-authorisation',
  Present: 'cards.present',
  Reverse: 'cards.reverse',
  Refund: 'cards.refund',
  ListDeadLetters: 'cards.list-dead-letters',
  ReplayDeadLetter: 'cards.replay-dead-letter',
  DiscardDeadLetter: 'cards.discard-dead-letter',
} as const;
