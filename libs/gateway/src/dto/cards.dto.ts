import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsInt, IsISO4217CurrencyCode, IsOptional, IsString, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Ids, MAX_AMOUNT } from '@cleave/contracts';

export class IssueCardBody {
  @ApiProperty() @Matches(Ids.account, { message: 'account_id must be an account id (acc_…)' }) account_id!: string;
}

export class CardsQuery {
  @ApiProperty() @Matches(Ids.account, { message: 'account_id must be an account id (acc_…)' }) account_id!: string;
}

export class CardStatusBody {
  @ApiProperty({ enum: ['ACTIVE', 'FROZEN', 'CANCELLED'] }) @IsIn(['ACTIVE', 'FROZEN', 'CANCELLED']) status!: 'ACTIVE' | 'FROZEN' | 'CANCELLED';
}

export class CardLimitsBody {
  @ApiPropertyOptional({ description: 'Minor units; 0 removes the limit' }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(MAX_AMOUNT) per_transaction?: number;
  @ApiPropertyOptional({ description: 'Minor units; 0 removes the limit' }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(MAX_AMOUNT) per_day?: number;
}

export class MerchantBody {
  @ApiProperty({ example: 'Brightbird Espresso' }) @IsString() @Length(1, 100) name!: string;
  @ApiProperty({ example: '5814', description: 'ISO 18245 merchant category code' }) @Matches(/^\d{4}$/) mcc!: string;
  @ApiPropertyOptional({ example: 'eating_out' }) @IsOptional() @IsString() @MaxLength(40) category?: string;
  @ApiPropertyOptional({ example: 'London' }) @IsOptional() @IsString() @MaxLength(100) city?: string;
  @ApiPropertyOptional({ example: 'GB' }) @IsOptional() @Matches(/^[A-Z]{2,3}$/) country?: string;
}

const amount = () => (target: object, key: string) => {
  ApiProperty({ description: 'Minor units', minimum: 1 })(target, key);
  Type(() => Number)(target, key);
  IsInt()(target, key);
  Min(1)(target, key);
  Max(MAX_AMOUNT)(target, key);
};

export class AuthorisationBody {
  @ApiProperty() @Matches(Ids.cardToken, { message: 'card_token must be a card token (cardtok_…)' }) card_token!: string;
  @amount() amount!: number;
  @ApiProperty({ example: 'GBP' }) @IsISO4217CurrencyCode() currency!: string;
  @ApiProperty({ type: MerchantBody }) @IsDefined() @ValidateNested() @Type(() => MerchantBody) merchant!: MerchantBody;
  @ApiProperty() @IsString() @Length(1, 100) network_transaction_id!: string;
}

export class PresentmentBody {
  @ApiProperty() @IsString() @Length(1, 100) presentment_id!: string;
  @ApiPropertyOptional({ description: "The authorisation's network_transaction_id" }) @IsOptional() @IsString() @Length(1, 100) network_transaction_id?: string;
  @ApiPropertyOptional({ description: 'For a force post without an authorisation' }) @IsOptional() @Matches(Ids.cardToken) card_token?: string;
  @ApiPropertyOptional({ type: MerchantBody }) @IsOptional() @ValidateNested() @Type(() => MerchantBody) merchant?: MerchantBody;
  @amount() amount!: number;
  @ApiProperty() @IsISO4217CurrencyCode() currency!: string;
}

export class ReversalBody {
  @ApiProperty() @IsString() @Length(1, 100) reversal_id!: string;
  @ApiProperty() @IsString() @Length(1, 100) network_transaction_id!: string;
  @ApiPropertyOptional({ description: 'Release only this much (a partial reversal)' }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_AMOUNT) amount?: number;
}

export class RefundBody {
  @ApiProperty() @IsString() @Length(1, 100) network_transaction_id!: string;
  @ApiProperty() @Matches(Ids.cardToken) card_token!: string;
  @amount() amount!: number;
  @ApiProperty() @IsISO4217CurrencyCode() currency!: string;
  @ApiProperty({ type: MerchantBody }) @IsDefined() @ValidateNested() @Type(() => MerchantBody) merchant!: MerchantBody;
}
