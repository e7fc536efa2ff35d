import { AccountsPatterns } from '../accounts/accounts.patterns';
import { DiscardDeadLetterRequest, ListDeadLettersRequest, ReplayDeadLetterRequest, type DeadLetterView } from '../dead-letters';
import { command, dependencies, query } from '../contract';
import { GatewayEventNames } from '../gateway/gateway.patterns';
import { LedgerPatterns } from '../ledger/ledger.patterns';
import { CardsPatterns } from './cards.patterns';
import {
  AbandonAuthorisationRequest,
  AuthorisationDecision,
  AuthoriseRequest,
  CardView,
  IssueCardRequest,
  ListCardsRequest,
  PresentmentResult,
  PresentRequest,
  RefundRequest,
  RefundResult,
  ReversalResult,
  ReverseRequest,
  SetCardLimitsRequest,
  SetCardStatusRequest,
} from './cards.messages';

/** The cards context's operations: customers' cards, and the card network's messages. */
export const CardsRequests = {
  [CardsPatterns.IssueCard]: command(IssueCardRequest).returns<CardView>({ requires: 'customer' }),
  [CardsPatterns.ListCards]: query(ListCardsRequest).returns<CardView[]>({ requires: 'customer' }),
  [CardsPatterns.SetCardStatus]: command(SetCardStatusRequest).returns<CardView>({ requires: 'customer' }),
  [CardsPatterns.SetCardLimits]: command(SetCardLimitsRequest).returns<CardView>({ requires: 'customer' }),
  [CardsPatterns.Authorise]: command(AuthoriseRequest).returns<AuthorisationDecision>({ requires: 'network' }),
  [CardsPatterns.AbandonAuthorisation]: command(AbandonAuthorisationRequest).returns<void>({ requires: 'network' }),
  [CardsPatterns.Present]: command(PresentRequest).returns<PresentmentResult>({ requires: 'network' }),
  [CardsPatterns.Reverse]: command(ReverseRequest).returns<ReversalResult>({ requires: 'network' }),
  [CardsPatterns.Refund]: command(RefundRequest).returns<RefundResult>({ requires: 'network' }),
  [CardsPatterns.ListDeadLetters]: query(ListDeadLettersRequest).returns<DeadLetterView[]>({ requires: 'admin' }),
  [CardsPatterns.ReplayDeadLetter]: command(ReplayDeadLetterRequest).returns<DeadLetterView>({ requires: 'admin' }),
  [CardsPatterns.DiscardDeadLetter]: command(DiscardDeadLetterRequest).returns<DeadLetterView>({ requires: 'admin' }),
} as const;

/** The cards context publishes no events. */
export const CardsEvents = {} as const;

/** Cards checks accounts' ownership of a card's account, and moves money through the ledger. */
export const CardsDependencies = dependencies({
  calls: [
    AccountsPatterns.GetAccount,
    LedgerPatterns.PlaceHold,
    LedgerPatterns.PostHold,
    LedgerPatterns.VoidHold,
    LedgerPatterns.ReleaseHold,
    LedgerPatterns.PostCardPayment,
    LedgerPatterns.RefundCardPayment,
    LedgerPatterns.RecordDecline,
  ],
  consumes: [GatewayEventNames.AuthorisationAbandoned],
});
