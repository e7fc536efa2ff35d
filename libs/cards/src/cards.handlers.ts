import { Controller } from '@nestjs/common';
import {
  CardsPatterns,
  GatewayEventNames,
  type AuthorisationAbandonedV1,
  type AbandonAuthorisationRequest,
  type AuthoriseRequest,
  type DiscardDeadLetterRequest,
  type IssueCardRequest,
  type ListCardsRequest,
  type ListDeadLettersRequest,
  type PresentRequest,
  type RefundRequest,
  type ReplayDeadLetterRequest,
  type ReverseRequest,
  type SetCardLimitsRequest,
  type SetCardStatusRequest,
} from '@cleave/contracts';
import { DeadLetters, Handles, OnEvent } from '@cleave/platform';
import { Abandonments } from './authorisations/abandonments';
import { Authorisations } from './authorisations/authorisations';
import { Clearing } from './clearing/clearing';
import { Reversals } from './clearing/reversals';
import { CardsHandler } from './cards/cards.handler';

/** The cards context's bus adapter. */
@Controller()
export class CardsHandlers {
  constructor(
    private readonly cards: CardsHandler,
    private readonly authorisations: Authorisations,
    private readonly abandonments: Abandonments,
    private readonly clearing: Clearing,
    private readonly reversals: Reversals,
    private readonly deadLetters: DeadLetters,
  ) {}

  @Handles(CardsPatterns.IssueCard)
  onIssueCard(request: IssueCardRequest) {
    return this.cards.issue(request);
  }

  @Handles(CardsPatterns.ListCards)
  onListCards(request: ListCardsRequest) {
    return this.cards.list(request);
  }

  @Handles(CardsPatterns.SetCardStatus)
  onSetCardStatus(request: SetCardStatusRequest) {
    return this.cards.setStatus(request);
  }

  @Handles(CardsPatterns.SetCardLimits)
  onSetCardLimits(request: SetCardLimitsRequest) {
    return this.cards.setLimits(request);
  }

  @Handles(CardsPatterns.Authorise)
  onAuthorise(request: AuthoriseRequest) {
    return this.authorisations.authorise(request);
  }

  @Handles(CardsPatterns.AbandonAuthorisation)
  onAbandonAuthorisation(request: AbandonAuthorisationRequest) {
    return this.abandonments.abandon(request);
  }

  /** The gateway's durable record of an answer it gave without cards (cards was down or too slow). */
  @OnEvent(GatewayEventNames.AuthorisationAbandoned)
  onAuthorisationAbandoned(event: AuthorisationAbandonedV1) {
    return this.abandonments.abandon(event);
  }

  @Handles(CardsPatterns.Present)
  onPresent(request: PresentRequest) {
    return this.clearing.present(request);
  }

  @Handles(CardsPatterns.Reverse)
  onReverse(request: ReverseRequest) {
    return this.reversals.reverse(request);
  }

  @Handles(CardsPatterns.Refund)
  onRefund(request: RefundRequest) {
    return this.reversals.refund(request);
  }

  @Handles(CardsPatterns.ListDeadLetters)
  onListDeadLetters(request: ListDeadLettersRequest) {
    return this.deadLetters.list('cards', request.includeReplayed, request.after);
  }

  @Handles(CardsPatterns.ReplayDeadLetter)
  onReplayDeadLetter(request: ReplayDeadLetterRequest) {
    return this.deadLetters.replay('cards', request.id);
  }

  @Handles(CardsPatterns.DiscardDeadLetter)
  onDiscardDeadLetter(request: DiscardDeadLetterRequest) {
    return this.deadLetters.discard('cards', request.id);
  }
}
