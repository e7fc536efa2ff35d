import { command, query } from '../contract';
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

/** The cards context's operations. */
export const CardsRequests = {
  [CardsPatterns.IssueCard]: command(IssueCardRequest).returns<CardView>(),
  [CardsPatterns.ListCards]: query(ListCardsRequest).returns<CardView[]>(),
  [CardsPatterns.SetCardStatus]: command(SetCardStatusRequest).returns<CardView>(),
  [CardsPatterns.SetCardLimits]: command(SetCardLimitsRequest).returns<CardView>(),
  [CardsPatterns.Authorise]: command(AuthoriseRequest).returns<AuthorisationDecision>(),
  [CardsPatterns.AbandonAuthorisation]: command(AbandonAuthorisationRequest).returns<void>(),
  [CardsPatterns.Present]: command(PresentRequest).returns<PresentmentResult>(),
  [CardsPatterns.Reverse]: command(ReverseRequest).returns<ReversalResult>(),
  [CardsPatterns.Refund]: command(RefundRequest).returns<RefundResult>(),
} as const;

/** The cards context's events: none yet (the events issue adds them). */
export const CardsEvents = {} as const;
