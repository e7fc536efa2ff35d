import { IsEmail, IsIn, IsOptional, IsString, Length, Matches, MaxLength, ValidateIf } from 'class-validator';
import { Ids } from '../ids';

/** Signs a customer up. */
export class SignUpRequest {
  @IsString() @Length(1, 100) name!: string;
  @IsEmail() @MaxLength(254) email!: string;
  @IsString() @Length(8, 200) password!: string;
}

/** A customer, without secrets. */
export interface UserView {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  /** ISO 8601. */
  readonly created: string;
}

/** OAuth2 token request: the password grant, or a refresh token (single use). */
export class IssueTokenRequest {
  @IsIn(['password', 'refresh_token']) grantType!: 'password' | 'refresh_token';
  @Matches(Ids.client) clientId!: string;
  @IsOptional() @IsString() @MaxLength(200) clientSecret?: string;
  @ValidateIf((r: IssueTokenRequest) => r.grantType === 'password') @IsEmail() @MaxLength(254) username?: string;
  @ValidateIf((r: IssueTokenRequest) => r.grantType === 'password') @IsString() @MaxLength(200) password?: string;
  @ValidateIf((r: IssueTokenRequest) => r.grantType === 'refresh_token') @IsString() @Length(20, 200) refreshToken?: string;
  /** The caller's network address, for login rate limits. */
  @IsOptional() @IsString() @MaxLength(64) clientAddress?: string;
}

/** A new token pair. */
export interface TokenReply {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Seconds until the access token expires. */
  readonly expiresIn: number;
  readonly tokenType: 'Bearer';
  readonly clientId: string;
  readonly userId: string;
}

/** Resolves an access token, given as the hex SHA-256 of the token so raw tokens never cross the bus. */
export class AuthenticateRequest {
  @Matches(/^[0-9a-f]{64}$/) accessTokenHash!: string;
}

/** Who an access token speaks for. */
export interface AuthenticatedUser {
  readonly userId: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** ISO 8601. */
  readonly expiresAt: string;
}

/** Revokes an access token and the refresh token issued with it. */
export class RevokeTokenRequest {
  @Matches(/^[0-9a-f]{64}$/) accessTokenHash!: string;
}

/** An access token was revoked: caches holding it must drop it. */
export class TokenRevokedV1 {
  @Matches(/^[0-9a-f]{64}$/) accessTokenHash!: string;
}
