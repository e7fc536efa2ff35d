import { Injectable } from '@nestjs/common';
import type { AuthorisationDecision, AuthoriseRequest } from '@cleave/contracts';
import { ContextDatabase, Metrics, sql } from '@cleave/platform';

const ACTIVE_CARDS = sql('cards.metrics-active', "SELECT count(*) AS active FROM cards WHERE status = 'ACTIVE'");

/**
 * Cards' business metrics: each authorisation decided (once: the network's retries of it are not counted
 * again), by outcome and decline reason, the money approved by currency, and the cards in use. Presentments,
 * reversals and refunds are counted by the bus's own `cleave_bus_server_requests_total{pattern="cards.…"}`.
 */
@Injectable()
export class CardMetrics {
  private readonly decisions;
  private readonly approvedMinorUnits;

  constructor(metrics: Metrics, db: ContextDatabase) {
    this.decisions = metrics.hotCounter({
      name: 'cleave_card_authorisations_total',
      help: 'Card authorisations decided, by outcome (approved, declined) and decline reason (none when approved).',
      labelNames: ['outcome', 'reason'],
    });
    this.approvedMinorUnits = metrics.hotCounter({
      name: 'cleave_card_authorised_minor_units_total',
      help: 'Money approved in card authorisations, in minor units (pence, cents) of each currency.',
      labelNames: ['currency'],
    });
    metrics.gauge({
      name: 'cleave_cards_active',
      help: 'Cards that can be used now (status ACTIVE).',
      async collect() {
        const row = await db.get<{ active: unknown }>(undefined, ACTIVE_CARDS, []).catch(() => undefined);
        if (row !== undefined) this.set(Number(row.active));
      },
    });
  }

  decided(decision: AuthorisationDecision, request: AuthoriseRequest): void {
    if (decision.approved) {
      this.decisions.series('approved', 'none').value++;
      this.approvedMinorUnits.series(request.currency).value += request.amount;
    } else {
      this.decisions.series('declined', decision.declineReason ?? 'unknown').value++;
    }
  }
}
