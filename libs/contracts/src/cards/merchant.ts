import { IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { Ids } from '../ids';

/** A merchant as the card network describes it. */
export class MerchantInput {
  @IsString() @Length(1, 100) name!: string;
  /** ISO 18245 merchant category code. */
  @Matches(/^\d{4}$/) mcc!: string;
  /** Monzo's spending category, if the network (or a test) knows it; otherwise derived from the MCC. */
  @IsOptional() @IsString() @MaxLength(40) category?: string;
  @IsOptional() @IsString() @MaxLength(100) city?: string;
  /** ISO 3166-1 alpha-2 or alpha-3. */
  @IsOptional() @Matches(/^[A-Z]{2,3}$/) country?: string;
}

/** A merchant on a transaction, enriched by the cards context. */
export class MerchantView {
  @Matches(Ids.merchant) id!: string;
  @IsString() @Length(1, 100) name!: string;
  @IsString() @MaxLength(40) category!: string;
  @Matches(/^\d{4}$/) mcc!: string;
  @IsString() @MaxLength(16) emoji!: string;
  @IsOptional() @IsString() @MaxLength(100) city?: string;
  @IsOptional() @Matches(/^[A-Z]{2,3}$/) country?: string;
}
