import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsCurrency } from '../currency';
import { Ids, MAX_AMOUNT } from '../ids';
import { MerchantView } from '../cards/merchant';
import { Text } from '../text';

/** What a ledger book holds: a customer's current account, or one of its pots. */
export type BookKind = 'customer' | 'pot';

/** Opens the book that holds an account's or pot's money; opening it again alike is a no-op. */
export class OpenBookRequest {
  @Matches(Ids.book) accountId!: string;
  @IsCurrency() currency!: string;
  @IsOptional() @IsIn(['customer', 'pot']) kind?: BookKind;
}

/** Asks for one book's balance. */
export class GetBalanceRequest {
  @Matches(Ids.book) accountId!: string;
}

/** Asks for several books' balances at once (an account and its pots). */
export class GetBalancesRequest {
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(100) @Matches(Ids.book, { each: true }) accountIds!: string[];
}

/** A book's money in minor units. */
export interface BalanceReply {
  readonly accountId: string;
  readonly currency: string;
  /** Posted balance. */
  readonly balance: number;
  /** Held by open authorisations. */
  readonly held: number;
  /** Posted balance less the holds on it: what can be spent. */
  readonly available: number;
  /** Money that left the book today (local day), as a negative amount; moves to its own pots excluded. */
  readonly spendToday: number;
}

/** Adds money to a customer's account from the bank's funding book. Needs an idempotency key. */
export class TopUpRequest {
  @Matches(Ids.account) accountId!: string;
  @IsInt() @Min(1) @Max(MAX_AMOUNT) amount!: number;
  @IsCurrency() currency!: string;
  @IsOptional() @Text(0, 140) description?: string;
}

/** Why money moves between two books. */
export type TransferKind = 'transfer' | 'pot_deposit' | 'pot_withdrawal';

/** Moves money between two books of one currency. Needs an idempotency key. */
export class TransferRequest {
  @Matches(Ids.book) sourceAccountId!: string;
  @Matches(Ids.book) destinationAccountId!: string;
  @IsInt() @Min(1) @Max(MAX_AMOUNT) amount!: number;
  @IsCurrency() currency!: string;
  @IsOptional() @IsIn(['transfer', 'pot_deposit', 'pot_withdrawal']) kind?: TransferKind;
  @IsOptional() @Text(0, 140) description?: string;
  /** How the source appears on the destination's statement, and the other way round. */
  @IsOptional() @Text(0, 140) sourceName?: string;
  @IsOptional() @Text(0, 140) destinationName?: string;
}

/** Both sides of a transfer. */
export interface TransferReply {
  readonly debit: TransactionView;
  readonly credit: TransactionView;
}

/** Holds money against a book's available balance (a card authorisation). Needs an idempotency key. */
export class PlaceHoldRequest {
  /**
   * The hold's id, when the caller chooses it: then it can void the hold even before it knows whether the
   * hold was placed (see `VoidHoldRequest.cancelIfAbsent`).
   */
  @IsOptional() @Matches(Ids.hold) holdId?: string;
  @Matches(Ids.account) accountId!: string;
  @IsInt() @Min(1) @Max(MAX_AMOUNT) amount!: number;
  @IsCurrency() currency!: string;
  @Text(1, 140) description!: string;
  @IsOptional() @Text(0, 40) category?: string;
  /** Seconds until an unposted hold expires and releases its money (default: the ledger's setting). */
  @IsOptional() @IsInt() @Min(1) @Max(90 * 24 * 3600) expiresInSeconds?: number;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => MerchantView) merchant?: MerchantView;
}

/** Posts a hold (presentment): `amount` moves for good, the rest of the hold is released. */
export class PostHoldRequest {
  @Matches(Ids.hold) holdId!: string;
  @IsInt() @Min(0) @Max(MAX_AMOUNT) amount!: number;
}

/** Releases a hold without moving money (a reversal). */
export class VoidHoldRequest {
  @Matches(Ids.hold) holdId!: string;
  /**
   * If no such hold exists yet, leave a tombstone so that a placement still on its way fails: how a caller
   * that gave up waiting makes sure nothing stays held.
   */
  @IsOptional() @IsBoolean() cancelIfAbsent?: boolean;
}

/** Releases part of a hold (a partial reversal); releasing all of it voids the hold. */
export class ReleaseHoldRequest {
  @Matches(Ids.hold) holdId!: string;
  @IsInt() @Min(1) @Max(MAX_AMOUNT) amount!: number;
}

/** A card payment without a hold (a force post, a refund) or a declined one, on a customer's book. */
export class CardPaymentRequest {
  @Matches(Ids.account) accountId!: string;
  @IsInt() @Min(1) @Max(MAX_AMOUNT) amount!: number;
  @IsCurrency() currency!: string;
  @Text(1, 140) description!: string;
  @Text(0, 40) category!: string;
  @IsDefined() @IsObject() @ValidateNested() @Type(() => MerchantView) merchant!: MerchantView;
}

/** A declined card payment, recorded so the customer sees it; no money moves. Needs an idempotency key. */
export class RecordDeclineRequest extends CardPaymentRequest {
  @IsIn(['insufficient_funds', 'card_inactive', 'card_blocked', 'spending_limit', 'invalid_card', 'issuer_unavailable'])
  declineReason!: string;
}

/** What happened to a hold. */
export type HoldStatus = 'pending' | 'posted' | 'voided' | 'expired';

/** A hold on a book. */
export interface HoldView {
  readonly id: string;
  readonly accountId: string;
  readonly amount: number;
  readonly currency: string;
  readonly status: HoldStatus;
  /** ISO 8601. */
  readonly expiresAt: string;
  /** The customer-facing transaction that shows it. */
  readonly transactionId: string;
  /** Posted amount, once posted. */
  readonly postedAmount?: number;
}

/** Lists a book's transactions, newest last, as Monzo's API pages them. */
export class ListTransactionsRequest {
  @Matches(Ids.book) accountId!: string;
  /** A time (ISO 8601) or a transaction id: only transactions after it. */
  @IsOptional() @Text(0, 40) since?: string;
  /** Only transactions created before this time. */
  @IsOptional() @IsISO8601() before?: string;
  @IsOptional() @IsInt() @Min(1) @Max(100) limit?: number;
}

/** Asks for one transaction. */
export class GetTransactionRequest {
  @Matches(Ids.transaction) transactionId!: string;
}

/** One metadata entry; an empty value deletes the key. */
export class MetadataEntry {
  @Text(1, 100) key!: string;
  @Text(0, 500) value!: string;
}

/** Annotates a transaction with metadata and notes. */
export class AnnotateTransactionRequest {
  @Matches(Ids.transaction) transactionId!: string;
  @IsOptional() @IsArray() @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => MetadataEntry) metadata?: MetadataEntry[];
  @IsOptional() @Text(0, 1000) notes?: string;
}

/** The other side of a transfer. */
export interface Counterparty {
  readonly accountId: string;
  readonly name?: string;
}

/** A movement on one book, in Monzo's transaction shape. */
export interface TransactionView {
  readonly id: string;
  readonly accountId: string;
  /** Signed minor units: negative for money out. */
  readonly amount: number;
  readonly currency: string;
  /** ISO 8601. */
  readonly created: string;
  readonly description: string;
  readonly category: string;
  /** ISO 8601 once settled; empty while only authorised. */
  readonly settled: string;
  /** ISO 8601: when it last changed (settled, resized, reversed, annotated); absent while it never has. */
  readonly updated?: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly notes: string;
  /** True for top-ups. */
  readonly isLoad: boolean;
  readonly counterparty?: Counterparty;
  /** `reversed`: an authorisation released without posting; `declined`: refused, no money moved. */
  readonly status: 'pending' | 'settled' | 'reversed' | 'declined';
  /** The hold behind a card transaction. */
  readonly holdId?: string;
  /** Where a card payment was made. */
  readonly merchant?: MerchantView;
  /** Why a card payment was declined. */
  readonly declineReason?: string;
}

/** The other side of a transfer, as an event carries it. */
export class CounterpartyV1 implements Counterparty {
  @Matches(Ids.book) accountId!: string;
  @IsOptional() @Text(0, 140) name?: string;
}

/** A transaction as the ledger's events carry it: {@link TransactionView}, validated on arrival. */
export class TransactionV1 implements TransactionView {
  @Matches(Ids.transaction) id!: string;
  @Matches(Ids.book) accountId!: string;
  @IsInt() @Min(-MAX_AMOUNT) @Max(MAX_AMOUNT) amount!: number;
  @IsCurrency() currency!: string;
  @IsISO8601() created!: string;
  @Text(0, 140) description!: string;
  @Text(0, 40) category!: string;
  @IsString() settled!: string;
  @IsOptional() @IsISO8601() updated?: string;
  @IsObject() metadata!: Record<string, string>;
  @IsString() notes!: string;
  @IsBoolean() isLoad!: boolean;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => CounterpartyV1) counterparty?: CounterpartyV1;
  @IsIn(['pending', 'settled', 'reversed', 'declined']) status!: TransactionView['status'];
  @IsOptional() @Matches(Ids.hold) holdId?: string;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => MerchantView) merchant?: MerchantView;
  @IsOptional() @Text(0, 40) declineReason?: string;
}

/**
 * `ledger.transaction-created.v1` and `ledger.transaction-updated.v1`: the transaction as it stands after
 * the change (settled, annotated, reversed, resized).
 */
export class TransactionEventV1 {
  @IsDefined() @IsObject() @ValidateNested() @Type(() => TransactionV1) transaction!: TransactionV1;
}
