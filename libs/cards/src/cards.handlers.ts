import { Controller } from '@nestjs/common';
import {
  CardsPatterns,
  GatewayEventNames,
  type AuthorisationAbandonedV1,
  type AbandonAuthorisationRequest,
  type AuthoriseRequest,
  type IssueCardRequest,
  type ListCardsRequest,
  type PresentRequest,
  type RefundRequest,
  type ReverseRequest,
  type SetCardLimitsRequest,
  type SetCardStatusRequest,
} from '@cleave/contracts';
import { Handles, OnEvent } from '@cleave/platform';
import { NetworkHandler } from './authorisations/network.handler';
import { CardsHandler } from './cards/cards.handler';

/** The cards context's bus adapter. */
@Controller()
export class CardsHandlers {
  constructor(
    private readonly cards: CardsHandler,
    private readonly network: NetworkHandler,
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
    return this.network.authorise(request);
  }

  @Handles(CardsPatterns.AbandonAuthorisation)
  onAbandonAuthorisation(request: AbandonAuthorisationRequest) {
    return this.network.abandon(request);
  }

  /** The gateway's durable record of an answer it gave without cards (cards was down or too slow). */
  @OnEvent(GatewayEventNames.AuthorisationAbandoned, { context: 'cards' })
  onAuthorisationAbandoned(event: AuthorisationAbandonedV1) {
    return this.network.abandon(event);
  }

  @Handles(CardsPatterns.Present)
  onPresent(request: PresentRequest) {
    return this.network.present(request);
  }

  @Handles(CardsPatterns.Reverse)
  onReverse(request: ReverseRequest) {
    return this.network.reverse(request);
  }

  @Handles(CardsPatterns.Refund)
  onRefund(request: RefundRequest) {
    return this.network.refund(request);
  }
}
