import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsObject, Matches, ValidateNested } from 'class-validator';
import { CARD_PAYMENT_CATEGORIES, ClientKey, Ids, MAX_AMOUNT } from '@cleave/contracts';
import { CurrencyCode, MinorUnits, Optional, ShownText, WholeNumberIn } from './fields';

export class IssueCardBody {
  @ApiProperty() @Matches(Ids.account, { message: 'account_id must be an account id (acc_…)' }) account_id!: string;
}

export class CardsQuery {
  @ApiProperty() @Matches(Ids.account, { message: 'account_id must be an account id (acc_…)' }) account_id!: string;
}

export class CardStatusBody {
  @ApiProperty({ enum: ['ACTIVE', 'FROZEN', 'CANCELLED'] }) @IsIn(['ACTIVE', 'FROZEN', 'CANCELLED']) status!:
    'ACTIVE' | 'FROZEN' | 'CANCELLED';
}

export class CardLimitsBody {
  @ApiPropertyOptional({ description: 'Minor units; 0 removes the limit' })
  @Optional()
  @WholeNumberIn(0, MAX_AMOUNT)
  per_transaction?: number;
  @ApiPropertyOptional({ description: 'Minor units; 0 removes the limit' })
  @Optional()
  @WholeNumberIn(0, MAX_AMOUNT)
  per_day?: number;
}

export class MerchantBody {
  @ApiProperty({ example: 'Brightbird Espresso' }) @ShownText(1, 100) name!: string;
  @ApiProperty({ example: '5814', description: 'ISO 18245 merchant category code' })
  @Matches(/^\d{4}$/, { message: 'mcc must be a four-digit merchant category code' })
  mcc!: string;
  @ApiPropertyOptional({ example: 'eating_out', enum: CARD_PAYMENT_CATEGORIES })
  @Optional()
  @IsIn(CARD_PAYMENT_CATEGORIES, { message: `category must be one of ${CARD_PAYMENT_CATEGORIES.join(', ')}` })
  category?: string;
  @ApiPropertyOptional({ example: 'London' }) @Optional() @ShownText(0, 100) city?: string;
  @ApiPropertyOptional({ example: 'GB' })
  @Optional()
  @Matches(/^[A-Z]{2,3}$/, { message: 'country must be an ISO 3166-1 code in capitals (GB or GBR)' })
  country?: string;
}

export class AuthorisationBody {
  @ApiProperty() @Matches(Ids.cardToken, { message: 'card_token must be a card token (cardtok_…)' }) card_token!: string;
  @MinorUnits() amount!: number;
  @ApiProperty({ example: 'GBP' }) @CurrencyCode() currency!: string;
  @ApiProperty({ type: MerchantBody }) @IsDefined() @IsObject() @ValidateNested() @Type(() => MerchantBody) merchant!: MerchantBody;
  @ApiProperty() @ClientKey() network_transaction_id!: string;
}

export class PresentmentBody {
  @ApiProperty() @ClientKey() presentment_id!: string;
  @ApiPropertyOptional({ description: "The authorisation's network_transaction_id" })
  @Optional()
  @ClientKey()
  network_transaction_id?: string;
  @ApiPropertyOptional({ description: 'For a force post without an authorisation' })
  @Optional()
  @Matches(Ids.cardToken, { message: 'card_token must be a card token (cardtok_…)' })
  card_token?: string;
  @ApiPropertyOptional({ type: MerchantBody }) @Optional() @IsObject() @ValidateNested() @Type(() => MerchantBody) merchant?: MerchantBody;
  @MinorUnits() amount!: number;
  @ApiProperty() @CurrencyCode() currency!: string;
}

export class ReversalBody {
  @ApiProperty() @ClientKey() reversal_id!: string;
  @ApiProperty() @ClientKey() network_transaction_id!: string;
  @ApiPropertyOptional({ description: 'Release only this much (a partial reversal)' })
  @Optional()
  @WholeNumberIn(1, MAX_AMOUNT)
  amount?: number;
}

export class RefundBody {
  @ApiProperty() @ClientKey() network_transaction_id!: string;
  @ApiProperty() @Matches(Ids.cardToken, { message: 'card_token must be a card token (cardtok_…)' }) card_token!: string;
  @MinorUnits() amount!: number;
  @ApiProperty() @CurrencyCode() currency!: string;
  @ApiProperty({ type: MerchantBody }) @IsDefined() @IsObject() @ValidateNested() @Type(() => MerchantBody) merchant!: MerchantBody;
}
