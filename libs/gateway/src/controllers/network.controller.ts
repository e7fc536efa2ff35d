import { Body, HttpCode, Inject, Logger, Post } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { CardsPatterns, GatewayEventNames } from '@cleave/contracts';
import { CleaveError, crashPoint, currentContext, MessageBus, remainingMs, rootContext, runWithContext } from '@cleave/platform';
import { GatewaySettings } from '../gateway.settings';
import { AuthorisationBody, PresentmentBody, RefundBody, ReversalBody } from '../dto/cards.dto';
import { GatewayController } from '../http/gateway-controller.decorator';
import { NetworkGuard } from '../http/client-credential.guard';
import { AuthorisationBudget } from '../http/request-contexts';
import { decisionJson } from '../http/views';
import { UnrecordedAbandonments } from '../live/unrecorded-abandonments';

/** How cards' failures reach the network: as a decline, `issuer_unavailable`, with the payment abandoned. */
const ISSUER_FAILURES = new Set<string>(['timeout', 'unavailable', 'internal']);

/** The card network's endpoints: authorisations, clearing, reversals, refunds. */
@GatewayController('network', NetworkGuard)
export class NetworkController {
  private readonly log = new Logger('CardNetwork');

  constructor(
    private readonly bus: MessageBus,
    private readonly unrecorded: UnrecordedAbandonments,
    @Inject(GatewaySettings) private readonly settings: GatewaySettings,
  ) {}

  @Post('network/authorisations')
  @AuthorisationBudget()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Authorise a card payment within the decision budget; retries with the same network_transaction_id get the same answer',
  })
  async authorise(@Body() body: AuthorisationBody) {
    const reserve = this.settings.CLEAVE_AUTHORISATION_RESERVE_MS;
    try {
      const decision = await this.bus.send(
        CardsPatterns.Authorise,
        {
          cardToken: body.card_token,
          amount: body.amount,
          currency: body.currency,
          merchant: body.merchant,
          networkTransactionId: body.network_transaction_id,
        },
        { timeoutMs: Math.max(0, remainingMs(currentContext()!) - reserve) },
      );
      crashPoint('gateway.authorise:before-answer');
      return decisionJson(decision);
    } catch (error) {
      if (!(error instanceof CleaveError) || !ISSUER_FAILURES.has(error.code)) throw error;
      // Out of time, no issuer to ask, or an issuer that failed on its own side: the network hears
      // "declined" (never a 500), so whatever was decided must come to nothing, and that is made durable
      // before the network hears it.
      await this.recordAbandonment(body.network_transaction_id);
      crashPoint('gateway.authorise:after-abandon');
      return decisionJson({ approved: false, networkTransactionId: body.network_transaction_id, declineReason: 'issuer_unavailable' });
    }
  }

  @Post('network/presentments')
  @HttpCode(200)
  @ApiOperation({ summary: "Clear a payment: post its authorisation's hold, or force-post without one" })
  async present(@Body() body: PresentmentBody) {
    const result = await this.bus.send(CardsPatterns.Present, {
      presentmentId: body.presentment_id,
      networkTransactionId: body.network_transaction_id,
      cardToken: body.card_token,
      merchant: body.merchant,
      amount: body.amount,
      currency: body.currency,
    });
    return {
      presentment_id: result.presentmentId,
      status: result.status,
      amount: result.amount,
      ...(result.reason ? { reason: result.reason } : {}),
    };
  }

  @Post('network/reversals')
  @HttpCode(200)
  @ApiOperation({ summary: "Release an authorisation's hold, fully or partly" })
  async reverse(@Body() body: ReversalBody) {
    const result = await this.bus.send(CardsPatterns.Reverse, {
      reversalId: body.reversal_id,
      networkTransactionId: body.network_transaction_id,
      amount: body.amount,
    });
    return { reversal_id: result.reversalId, status: result.status, remaining: result.remaining };
  }

  @Post('network/refunds')
  @HttpCode(200)
  @ApiOperation({ summary: 'Credit a merchant refund to the card’s account' })
  async refund(@Body() body: RefundBody) {
    const result = await this.bus.send(CardsPatterns.Refund, {
      networkTransactionId: body.network_transaction_id,
      cardToken: body.card_token,
      amount: body.amount,
      currency: body.currency,
      merchant: body.merchant,
    });
    return { network_transaction_id: result.networkTransactionId, transaction_id: result.transactionId };
  }

  /**
   * Records that the network was told "declined" without cards' say: straight to cards when it answers
   * within half the reserve (so a retry of the same payment can't find it approved), else as an event that
   * JetStream stores before this returns and cards applies once it is back (in one process, handled here).
   */
  private async recordAbandonment(networkTransactionId: string): Promise<void> {
    // A network that asked for less time than the reserve still has the abandonment recorded, in time of
    // its own: it is what keeps money from staying held for a payment the network heard declined.
    const context = currentContext()!;
    const reserve = this.settings.CLEAVE_AUTHORISATION_RESERVE_MS;
    const recording = rootContext(
      {
        span: context,
        requestId: context.requestId,
        principal: context.principal,
        deadline: Math.max(context.deadline, Date.now() + reserve),
      },
      reserve,
    );
    await runWithContext(recording, () => this.recordAbandonmentNow(networkTransactionId));
  }

  private async recordAbandonmentNow(networkTransactionId: string): Promise<void> {
    try {
      await this.bus.send(
        CardsPatterns.AbandonAuthorisation,
        { networkTransactionId },
        { timeoutMs: this.settings.CLEAVE_AUTHORISATION_RESERVE_MS / 2 },
      );
      return;
    } catch (error) {
      this.log.warn(
        `cards could not take the abandonment of ${networkTransactionId} now (${(error as Error).message}); recording it as an event`,
      );
    }
    try {
      // Within what is left of the reserve: the network's answer is due.
      await this.bus.emit(GatewayEventNames.AuthorisationAbandoned, { networkTransactionId });
    } catch (error) {
      // Neither reached (NATS down): kept here and published once the stream is back, so an approval the
      // network never heard doesn't stay held; cards' sweep meanwhile declines one left pending.
      this.log.error(`could not record the abandonment of ${networkTransactionId} yet: ${(error as Error).message}; will retry`);
      this.unrecorded.keep(networkTransactionId);
    }
  }
}
