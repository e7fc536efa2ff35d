import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, Matches } from 'class-validator';
import { Ids, Text } from '@cleave/contracts';
import { Optional, ShownText } from './fields';

export class SignUpBody {
  @ApiProperty({ example: 'Ada Lovelace' }) @ShownText(1, 100) name!: string;
  @ApiProperty({ example: 'ada@example.com' }) @IsEmail() @Text(1, 254) email!: string;
  @ApiProperty({ minLength: 8 }) @Text(8, 200) password!: string;
}

/** OAuth2 token request (RFC 6749 §4.3 and §6), form-encoded or JSON. */
export class TokenBody {
  @ApiProperty({ enum: ['password', 'refresh_token'] }) @IsIn(['password', 'refresh_token']) grant_type!: 'password' | 'refresh_token';
  @ApiPropertyOptional({ example: 'oauth2client_00009cleaveQuickStart0', description: 'Here or as HTTP Basic credentials' })
  @Optional()
  @Matches(Ids.client, { message: 'client_id must be an OAuth2 client id (oauth2client_…)' })
  client_id?: string;
  @ApiPropertyOptional() @Optional() @Text(0, 200) client_secret?: string;
  @ApiPropertyOptional({ description: 'The email, for the password grant' }) @Optional() @Text(0, 254) username?: string;
  @ApiPropertyOptional() @Optional() @Text(0, 200) password?: string;
  @ApiPropertyOptional() @Optional() @Text(0, 200) refresh_token?: string;
}
