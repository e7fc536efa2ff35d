import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsArray, IsIn, Matches } from 'class-validator';
import { ClientKey, Ids, Text } from '@cleave/contracts';
import { CurrencyCode, MinorUnits, Optional, ShownText, TextRecord, WholeNumberIn } from './fields';

export class OpenAccountBody {
  @ApiPropertyOptional({ example: 'GBP', default: 'GBP' }) @Optional() @CurrencyCode() currency?: string;
  @ApiPropertyOptional() @Optional() @ShownText(0, 140) description?: string;
}

export class AccountsQuery {
  /** Monzo's account types; Cleave's accounts are all `uk_retail`. */
  @ApiPropertyOptional({ example: 'uk_retail' }) @Optional() @Text(1, 40) account_type?: string;
}

export class AccountIdQuery {
  @ApiProperty() @Matches(Ids.account, { message: 'account_id must be an account id (acc_…)' }) account_id!: string;
}

export class TopUpBody {
  @MinorUnits() amount!: number;
  @ApiPropertyOptional() @Optional() @CurrencyCode() currency?: string;
  @ApiPropertyOptional() @Optional() @ShownText(0, 140) description?: string;
}

export class TransferBody {
  @ApiProperty() @Matches(Ids.account, { message: 'source_account_id must be an account id (acc_…)' }) source_account_id!: string;
  @ApiProperty() @Matches(Ids.account, { message: 'destination_account_id must be an account id (acc_…)' }) destination_account_id!: string;
  @MinorUnits() amount!: number;
  @ApiPropertyOptional() @Optional() @CurrencyCode() currency?: string;
  @ApiPropertyOptional() @Optional() @ShownText(0, 140) description?: string;
}

export class PotsQuery {
  @ApiProperty() @Matches(Ids.account, { message: 'current_account_id must be an account id (acc_…)' }) current_account_id!: string;
}

export class CreatePotBody {
  @ApiProperty() @Matches(Ids.account, { message: 'current_account_id must be an account id (acc_…)' }) current_account_id!: string;
  @ApiProperty({ example: 'Holiday' }) @ShownText(1, 40) name!: string;
}

export class DepositBody {
  @ApiProperty() @Matches(Ids.account, { message: 'source_account_id must be an account id (acc_…)' }) source_account_id!: string;
  @MinorUnits() amount!: number;
  @ApiProperty({ description: 'Unique per deposit; the same value on a retry makes it happen once' }) @ClientKey() dedupe_id!: string;
}

export class WithdrawBody {
  @ApiProperty() @Matches(Ids.account, { message: 'destination_account_id must be an account id (acc_…)' }) destination_account_id!: string;
  @MinorUnits() amount!: number;
  @ApiProperty({ description: 'Unique per withdrawal; the same value on a retry makes it happen once' }) @ClientKey() dedupe_id!: string;
}

export class TransactionsQuery {
  @ApiProperty() @Matches(Ids.account, { message: 'account_id must be an account id (acc_…)' }) account_id!: string;
  @ApiPropertyOptional({ description: 'A time (RFC 3339) or a transaction id' }) @Optional() @Text(0, 40) since?: string;
  @ApiPropertyOptional({ description: 'A time (RFC 3339)' }) @Optional() @Text(0, 40) before?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 30 }) @Optional() @WholeNumberIn(1, 100) limit?: number;
  @ApiPropertyOptional({ description: 'expand[]=merchant: the merchant object instead of its id', isArray: true, enum: ['merchant'] })
  @Optional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value))
  @IsArray()
  @IsIn(['merchant'], { each: true })
  expand?: string[];
}

export class ExpandQuery {
  /** Not needed (a transaction knows its account); some clients send it, and it must then be the transaction's. */
  @ApiPropertyOptional() @Optional() @Matches(Ids.account, { message: 'account_id must be an account id (acc_…)' }) account_id?: string;
  @ApiPropertyOptional({ isArray: true, enum: ['merchant'] })
  @Optional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value))
  @IsArray()
  @IsIn(['merchant'], { each: true })
  expand?: string[];
}

export class AnnotateBody {
  @ApiPropertyOptional({
    description: 'metadata[key]=value; an empty value deletes the key',
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @Optional()
  @TextRecord(50, 100, 500)
  metadata?: Record<string, string>;
  @ApiPropertyOptional() @Optional() @ShownText(0, 1000) notes?: string;
}
