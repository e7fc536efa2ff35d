import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';

export class SignUpBody {
  @ApiProperty({ example: 'Ada Lovelace' }) @IsString() @Length(1, 100) name!: string;
  @ApiProperty({ example: 'ada@example.com' }) @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty({ minLength: 8 }) @IsString() @Length(8, 200) password!: string;
}

/** OAuth2 token request (RFC 6749 §4.3 and §6), form-encoded or JSON. */
export class TokenBody {
  @ApiProperty({ enum: ['password', 'refresh_token'] }) @IsIn(['password', 'refresh_token']) grant_type!: 'password' | 'refresh_token';
  @ApiProperty({ example: 'oauth2client_00009cleaveQuickStart0' }) @IsString() @MaxLength(64) client_id!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) client_secret?: string;
  @ApiPropertyOptional({ description: 'The email, for the password grant' }) @IsOptional() @IsString() @MaxLength(254) username?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) password?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) refresh_token?: string;
}
