import { Inject, Injectable } from '@nestjs/common';
import {
  AccountsPatterns,
  CardsErrors,
  type CardView,
  type IssueCardRequest,
  type ListCardsRequest,
  type SetCardLimitsRequest,
  type SetCardStatusRequest,
} from '@cleave/contracts';
import { CleaveError, ContextDatabase, currentContext, MessageBus, newEntityId, newOpaqueId } from '@cleave/platform';
import { CardsSettings } from '../cards.settings';
import { Card } from './card.entity';
import { cardView } from './card.view';
import { newPan, panHash } from './pan';

/** Issuing cards and what their owners may change: status and limits. */
@Injectable()
export class CardsHandler {
  constructor(
    private readonly db: ContextDatabase,
    private readonly bus: MessageBus,
    @Inject(CardsSettings) private readonly settings: CardsSettings,
  ) {}

  async issue(request: IssueCardRequest): Promise<CardView> {
    // Accounts checks the caller owns the account (anyone else's is not_found).
    const account = await this.bus.send(AccountsPatterns.GetAccount, { accountId: request.accountId });
    const pan = newPan(this.settings.CLEAVE_CARD_BIN);
    const now = new Date();
    const card: Card = {
      id: newEntityId('card'),
      accountId: account.id,
      ownerId: account.ownerId,
      currency: account.currency,
      token: newOpaqueId('cardtok'),
      panHash: panHash(pan, this.settings.CLEAVE_CARD_PAN_KEY),
      last4: pan.slice(-4),
      expiryMonth: now.getUTCMonth() + 1,
      expiryYear: now.getUTCFullYear() + 3,
      status: 'ACTIVE',
      limitPerTransaction: null,
      limitPerDay: null,
      createdAt: now.toISOString(),
    };
    await this.db.transaction((em) => em.insert(Card, card));
    return cardView(card);
  }

  async list(request: ListCardsRequest): Promise<CardView[]> {
    await this.bus.send(AccountsPatterns.GetAccount, { accountId: request.accountId });
    const cards = await this.db.read((em) =>
      em.find(Card, { where: { accountId: request.accountId }, order: { createdAt: 'ASC', id: 'ASC' } }),
    );
    return cards.map(cardView);
  }

  setStatus(request: SetCardStatusRequest): Promise<CardView> {
    return this.db.transaction(async (em) => {
      const card = this.owned(await em.findOneBy(Card, { id: request.cardId }), request.cardId);
      if (card.status === 'CANCELLED' && request.status !== 'CANCELLED')
        throw CleaveError.of(CardsErrors.cardCancelled, 'a cancelled card stays cancelled');
      await em.update(Card, { id: card.id }, { status: request.status });
      return cardView({ ...card, status: request.status });
    });
  }

  setLimits(request: SetCardLimitsRequest): Promise<CardView> {
    return this.db.transaction(async (em) => {
      const card = this.owned(await em.findOneBy(Card, { id: request.cardId }), request.cardId);
      if (card.status === 'CANCELLED') throw CleaveError.of(CardsErrors.cardCancelled, 'a cancelled card takes no new limits');
      const changes: Partial<Card> = {};
      if (request.perTransaction !== undefined) changes.limitPerTransaction = request.perTransaction;
      if (request.perDay !== undefined) changes.limitPerDay = request.perDay;
      if (Object.keys(changes).length > 0) await em.update(Card, { id: card.id }, changes);
      return cardView({ ...card, ...changes });
    });
  }

  /** A customer reaches only their own cards; anyone else's is not_found, as a missing one is. */
  private owned(card: Card | null, cardId: string): Card {
    const principal = currentContext()?.principal;
    if (principal?.kind !== 'user') throw CleaveError.of(CardsErrors.notACustomer, 'card changes act only for a customer');
    if (!card || principal.id !== card.ownerId) throw CleaveError.notFound(`no card ${cardId}`);
    return card;
  }
}
