import { IsOptional, Matches } from 'class-validator';
import { Ids } from '../ids';
import { Text } from '../text';

/** A merchant as the card network describes it. */
export class MerchantInput {
  @Text(1, 100) name!: string;
  /** ISO 18245 merchant category code. */
  @Matches(/^\d{4}$/) mcc!: string;
  /** Monzo's spending category, if the network (or a test) knows it; otherwise derived from the MCC. */
  @IsOptional() @Text(0, 40) category?: string;
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
