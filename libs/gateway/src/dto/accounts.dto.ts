import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsISO4217CurrencyCode, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { Ids, MAX_AMOUNT } from '@cleave/contracts';

const amount = () => (target: object, key: string) => {
  ApiProperty({ description: 'Minor units, e.g. 1915 for £19.15', minimum: 1, maximum: MAX_AMOUNT })(target, key);
  Type(() => Number)(target, key);
  IsInt()(target, key);
  Min(1)(target, key);
  Max(MAX_AMOUNT)(target, key);
};

export class OpenAccountBody {
  @ApiPropertyOptional({ example: 'GBP', default: 'GBP' }) @IsOptional() @IsISO4217CurrencyCode() currency?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(140) description?: string;
}

export class AccountIdQuery {
  @ApiProperty() @Matches(Ids.account, { message: 'account_id must be an account id (acc_…)' }) account_id!: string;
}

export class TopUpBody {
  @amount() amount!: number;
  @ApiPropertyOptional() @IsOptional() @IsISO4217CurrencyCode() currency?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(140) description?: string;
}

export class TransferBody {
  @ApiProperty() @Matches(Ids.account, { message: 'source_account_id must be an account id (acc_…)' }) source_account_id!: string;
  @ApiProperty() @Matches(Ids.account, { message: 'destination_account_id must be an account id (acc_…)' }) destination_account_id!: string;
  @amount() amount!: number;
  @ApiPropertyOptional() @IsOptional() @IsISO4217CurrencyCode() currency?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(140) description?: string;
}

export class PotsQuery {
  @ApiProperty() @Matches(Ids.account, { message: 'current_account_id must be an account id (acc_…)' }) current_account_id!: string;
}

export class CreatePotBody {
  @ApiProperty() @Matches(Ids.account, { message: 'current_account_id must be an account id (acc_…)' }) current_account_id!: string;
  @ApiProperty({ example: 'Holiday' }) @IsString() @Length(1, 40) name!: string;
}

export class DepositBody {
  @ApiProperty() @Matches(Ids.account, { message: 'source_account_id must be an account id (acc_…)' }) source_account_id!: string;
  @amount() amount!: number;
  @ApiProperty({ description: 'Unique per deposit; the same value on a retry makes it happen once' }) @IsString() @Length(1, 100) dedupe_id!: string;
}

export class WithdrawBody {
  @ApiProperty() @Matches(Ids.account, { message: 'destination_account_id must be an account id (acc_…)' }) destination_account_id!: string;
  @amount() amount!: number;
  @ApiProperty({ description: 'Unique per withdrawal; the same value on a retry makes it happen once' }) @IsString() @Length(1, 100) dedupe_id!: string;
}

export class TransactionsQuery {
  @ApiProperty() @Matches(Ids.account, { message: 'account_id must be an account id (acc_…)' }) account_id!: string;
  @ApiPropertyOptional({ description: 'A time (RFC 3339) or a transaction id' }) @IsOptional() @IsString() @MaxLength(40) since?: string;
  @ApiPropertyOptional({ description: 'A time (RFC 3339)' }) @IsOptional() @IsString() @MaxLength(40) before?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
  @ApiPropertyOptional({ description: 'expand[]=merchant: the merchant object instead of its id', isArray: true, enum: ['merchant'] })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value))
  @IsArray()
  @IsIn(['merchant'], { each: true })
  expand?: string[];
}

export class ExpandQuery {
  @ApiPropertyOptional({ isArray: true, enum: ['merchant'] })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value))
  @IsArray()
  @IsIn(['merchant'], { each: true })
  expand?: string[];
}

export class AnnotateBody {
  @ApiPropertyOptional({ description: 'metadata[key]=value; an empty value deletes the key', type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  metadata?: Record<string, unknown>;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000) notes?: string;
}
