import { IsIn, IsOptional, Matches } from 'class-validator';
import { Ids } from '../ids';
import { Text } from '../text';

/**
 * Monzo's spending categories a card payment may have. Not `savings`, `transfers` or `mondo`, which Cleave
 * gives its own movements: a network naming one would take a payment out of the day's spending.
 */
export const CARD_PAYMENT_CATEGORIES = [
  'general',
  'eating_out',
  'expenses',
  'transport',
  'cash',
  'bills',
  'entertainment',
  'shopping',
  'holidays',
  'groceries',
  'personal_care',
  'family',
  'charity',
  'finances',
  'gifts',
] as const;

/** A merchant as the card network describes it. */
export class MerchantInput {
  @Text(1, 100) name!: string;
  /** ISO 18245 merchant category code. */
  @Matches(/^\d{4}$/) mcc!: string;
  /** Monzo's spending category, if the network (or a test) knows it; otherwise derived from the MCC. */
  @IsOptional() @IsIn(CARD_PAYMENT_CATEGORIES) category?: string;
  @IsOptional() @Text(0, 100) city?: string;
  /** ISO 3166-1 alpha-2 or alpha-3. */
  @IsOptional() @Matches(/^[A-Z]{2,3}$/) country?: string;
}

/** A merchant on a transaction, enriched by the cards context. */
export class MerchantView {
  @Matches(Ids.merchant) id!: string;
  @Text(1, 100) name!: string;
  @Text(0, 40) category!: string;
  @Matches(/^\d{4}$/) mcc!: string;
  @Text(0, 16) emoji!: string;
  @IsOptional() @Text(0, 100) city?: string;
  @IsOptional() @Matches(/^[A-Z]{2,3}$/) country?: string;
}
