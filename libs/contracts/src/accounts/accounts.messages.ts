import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { IsCurrency } from '../currency';
import { Ids, MAX_AMOUNT } from '../ids';
import { ClientKey, Text } from '../text';

/** Opens a current account for a customer. */
export class OpenAccountRequest {
  @Matches(Ids.user) ownerId!: string;
  @IsCurrency() currency!: string;
  @IsOptional() @Text(0, 140) description?: string;
}

/** Asks for one account; a user may only see their own (anything else is not_found). */
export class GetAccountRequest {
  @Matches(Ids.account) accountId!: string;
}

/** Lists a customer's accounts. */
export class ListAccountsRequest {
  @Matches(Ids.user) ownerId!: string;
}

/** An account as its owner sees it. */
export interface AccountView {
  readonly id: string;
  readonly ownerId: string;
  readonly currency: string;
  readonly description: string;
  /** ISO 8601. */
  readonly created: string;
}

/** Asks for an account's balance, its pots included in the total. */
export class GetAccountBalanceRequest {
  @Matches(Ids.account) accountId!: string;
}

/** Monzo's balance: what can be spent, with pots, and today's spending. */
export interface AccountBalanceView {
  readonly accountId: string;
  /** Available to spend: posted balance less holds. */
  readonly balance: number;
  /** The balance plus every pot's. */
  readonly totalBalance: number;
  readonly currency: string;
  /** Negative: money out today. */
  readonly spendToday: number;
}

/** Tops an account up (credit from the bank's funding book). Needs an idempotency key. */
export class TopUpAccountRequest {
  @Matches(Ids.account) accountId!: string;
  @IsInt() @Min(1) @Max(MAX_AMOUNT) amount!: number;
  @IsOptional() @IsCurrency() currency?: string;
  @IsOptional() @Text(0, 140) description?: string;
}

/** Pays another account, the customer's own or anyone's. Needs an idempotency key. */
export class TransferMoneyRequest {
  @Matches(Ids.account) sourceAccountId!: string;
  @Matches(Ids.account) destinationAccountId!: string;
  @IsInt() @Min(1) @Max(MAX_AMOUNT) amount!: number;
  @IsOptional() @IsCurrency() currency?: string;
  @IsOptional() @Text(0, 140) description?: string;
}

/** Creates a pot under a current account. */
export class CreatePotRequest {
  @Matches(Ids.account) currentAccountId!: string;
  @Text(1, 40) name!: string;
}

/** Lists a current account's pots. */
export class ListPotsRequest {
  @Matches(Ids.account) currentAccountId!: string;
}

/** Moves money into a pot from its account (deposit) or back (withdrawal); `dedupeId` makes it idempotent. */
export class MovePotMoneyRequest {
  @Matches(Ids.pot) potId!: string;
  @Matches(Ids.account) accountId!: string;
  @IsInt() @Min(1) @Max(MAX_AMOUNT) amount!: number;
  @ClientKey() dedupeId!: string;
}

/** A pot, in Monzo's shape. */
export interface PotView {
  readonly id: string;
  readonly name: string;
  readonly currentAccountId: string;
  readonly balance: number;
  readonly currency: string;
  /** ISO 8601. */
  readonly created: string;
  readonly updated: string;
  readonly deleted: boolean;
}

/** An account was opened. */
export class AccountOpenedV1 {
  @Matches(Ids.account) accountId!: string;
  @Matches(Ids.user) ownerId!: string;
  @IsCurrency() currency!: string;
  /** ISO 8601. */
  @IsString() opened!: string;
}
