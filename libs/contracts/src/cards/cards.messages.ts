import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsInt, IsObject, IsOptional, Matches, Max, Min, ValidateNested } from 'class-validator';
import { IsCurrency } from '../currency';
import { Ids, MAX_AMOUNT } from '../ids';
import { MerchantInput } from './merchant';
import { ClientKey } from '../text';

/** ACTIVE cards spend; FROZEN ones decline until unfrozen; CANCELLED is final. */
export type CardStatus = 'ACTIVE' | 'FROZEN' | 'CANCELLED';

/** Issues a card on an account. */
export class IssueCardRequest {
  @Matches(Ids.account) accountId!: string;
}

/** Lists an account's cards. */
export class ListCardsRequest {
  @Matches(Ids.account) accountId!: string;
}

/** Freezes, unfreezes or cancels a card. */
export class SetCardStatusRequest {
  @Matches(Ids.card) cardId!: string;
  @IsIn(['ACTIVE', 'FROZEN', 'CANCELLED']) status!: CardStatus;
}

/** Sets a card's spending limits in minor units; null removes one. */
export class SetCardLimitsRequest {
  @Matches(Ids.card) cardId!: string;
  @IsOptional() @IsInt() @Min(1) @Max(MAX_AMOUNT) perTransaction?: number | null;
  @IsOptional() @IsInt() @Min(1) @Max(MAX_AMOUNT) perDay?: number | null;
}

/** A card as its owner sees it: never the full number. */
export interface CardView {
  readonly id: string;
  readonly accountId: string;
  readonly last4: string;
  readonly expiryMonth: number;
  readonly expiryYear: number;
  readonly status: CardStatus;
  /** What the card network knows the card by; useless anywhere else. */
  readonly token: string;
  readonly currency: string;
  readonly limits: { readonly perTransaction: number | null; readonly perDay: number | null };
  /** ISO 8601. */
  readonly created: string;
}

/** Why an authorisation was declined. */
export type DeclineReason =
  'insufficient_funds' | 'card_inactive' | 'card_blocked' | 'spending_limit' | 'invalid_card' | 'issuer_unavailable';

/** The network asks to authorise a payment. */
export class AuthoriseRequest {
  @Matches(Ids.cardToken) cardToken!: string;
  @IsInt() @Min(1) @Max(MAX_AMOUNT) amount!: number;
  @IsCurrency() currency!: string;
  @IsDefined() @IsObject() @ValidateNested() @Type(() => MerchantInput) merchant!: MerchantInput;
  /** The network's id of this authorisation: its retries carry the same one. */
  @ClientKey() networkTransactionId!: string;
}

/** The issuer's answer. */
export interface AuthorisationDecision {
  readonly approved: boolean;
  readonly networkTransactionId: string;
  readonly authorisationId?: string;
  readonly declineReason?: DeclineReason;
  /** The customer-facing transaction that shows it. */
  readonly transactionId?: string;
}

/** The network gave up waiting for a decision: whatever was decided, it must come to nothing. */
export class AbandonAuthorisationRequest {
  @ClientKey() networkTransactionId!: string;
}

/**
 * Clearing. With `networkTransactionId` of an authorisation, posts its hold for `amount`; with
 * `cardToken` and `merchant` instead, a force post without an authorisation.
 */
export class PresentRequest {
  @ClientKey() presentmentId!: string;
  @IsOptional() @ClientKey() networkTransactionId?: string;
  @IsOptional() @Matches(Ids.cardToken) cardToken?: string;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => MerchantInput) merchant?: MerchantInput;
  @IsInt() @Min(1) @Max(MAX_AMOUNT) amount!: number;
  @IsCurrency() currency!: string;
}

/** What clearing did. */
export interface PresentmentResult {
  readonly presentmentId: string;
  readonly status: 'posted' | 'force_posted' | 'rejected';
  /** Posted amount: the presented one, or the held one when the extra could not be taken. */
  readonly amount: number;
  readonly transactionId?: string;
  readonly reason?: string;
}

/** Releases an authorisation's hold: all of it, or `amount` of it. */
export class ReverseRequest {
  @ClientKey() reversalId!: string;
  @ClientKey() networkTransactionId!: string;
  @IsOptional() @IsInt() @Min(1) @Max(MAX_AMOUNT) amount?: number;
}

/** What a reversal left held. */
export interface ReversalResult {
  readonly reversalId: string;
  readonly status: 'reversed' | 'partially_reversed';
  readonly remaining: number;
}

/** A merchant refund: money back onto the card's account. */
export class RefundRequest {
  @ClientKey() networkTransactionId!: string;
  @Matches(Ids.cardToken) cardToken!: string;
  @IsInt() @Min(1) @Max(MAX_AMOUNT) amount!: number;
  @IsCurrency() currency!: string;
  @IsDefined() @IsObject() @ValidateNested() @Type(() => MerchantInput) merchant!: MerchantInput;
}

/** A refund's credit. */
export interface RefundResult {
  readonly networkTransactionId: string;
  readonly transactionId: string;
}
