import { Body, HttpCode, Logger, Post } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { CardsPatterns } from '@cleave/contracts';
import { CleaveError, MessageBus, rootContext, runWithContext } from '@cleave/platform';
import { AuthorisationBody, PresentmentBody, RefundBody, ReversalBody } from '../dto/cards.dto';
import { GatewayController } from '../http/gateway-controller.decorator';
import { NetworkGuard } from '../http/network.guard';
import { decisionJson } from '../http/views';

const ABANDON_ATTEMPTS = 5;

/** The card network's endpoints: authorisations, clearing, reversals, refunds. */
@GatewayController('network', NetworkGuard)
export class NetworkController {
  private readonly log = new Logger('CardNetwork');

  constructor(private readonly bus: MessageBus) {}

  @Post('network/authorisations')
  @HttpCode(200)
  @ApiOperation({ summary: 'Authorise a card payment within the decision budget; retries with the same network_transaction_id get the same answer' })
  async authorise(@Body() body: AuthorisationBody) {
    try {
      const decision = await this.bus.send(CardsPatterns.Authorise, {
        cardToken: body.card_token,
        amount: body.amount,
        currency: body.currency,
        merchant: body.merchant,
        networkTransactionId: body.network_transaction_id,
      });
      return decisionJson(decision);
    } catch (error) {
      if (!(error instanceof CleaveError) || (error.code !== 'timeout' && error.code !== 'unavailable')) throw error;
      // Out of time or no issuer to ask: the network hears "declined", so whatever was decided must come to nothing.
      void this.abandon(body.network_transaction_id);
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
    return { presentment_id: result.presentmentId, status: result.status, amount: result.amount, ...(result.reason ? { reason: result.reason } : {}) };
  }

  @Post('network/reversals')
  @HttpCode(200)
  @ApiOperation({ summary: "Release an authorisation's hold, fully or partly" })
  async reverse(@Body() body: ReversalBody) {
    const result = await this.bus.send(CardsPatterns.Reverse, { reversalId: body.reversal_id, networkTransactionId: body.network_transaction_id, amount: body.amount });
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

  /** Tells cards the network gave up, in a call of its own (the request's deadline is spent), with retries. */
  private async abandon(networkTransactionId: string): Promise<void> {
    for (let attempt = 1; attempt <= ABANDON_ATTEMPTS; attempt++) {
      try {
        await runWithContext(rootContext({ timeoutMs: 5_000 }, 5_000), () => this.bus.send(CardsPatterns.AbandonAuthorisation, { networkTransactionId }));
        return;
      } catch (error) {
        this.log.warn(`abandoning ${networkTransactionId} failed (attempt ${attempt}): ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
    this.log.error(`could not abandon ${networkTransactionId}; its hold, if any, is released when it expires`);
  }
}
