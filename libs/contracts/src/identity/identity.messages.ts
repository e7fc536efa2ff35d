import { IsEmail, IsIn, IsOptional, Matches, ValidateIf } from 'class-validator';
import { Ids } from '../ids';
import { Text } from '../text';

/** Signs a customer up. */
export class SignUpRequest {
  @Text(1, 100) name!: string;
  @IsEmail() @Text(1, 254) email!: string;
  @Text(8, 200) password!: string;
}

/** A customer, without secrets. */
export interface UserView {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  /** ISO 8601. */
  readonly created: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * OAuth2 token request: the password grant, or a refresh token (single use). No token or client secret
 * crosses the bus: the gateway makes the new pair's secrets itself and sends their SHA-256, which is all
 * identity ever stores, and sends the refresh token and client secret it was given as SHA-256 too.
 */
export class IssueTokenRequest {
  @IsIn(['password', 'refresh_token']) grantType!: 'password' | 'refresh_token';
  @Matches(Ids.client) clientId!: string;
  @IsOptional() @Matches(SHA256_HEX) clientSecretHash?: string;
  @ValidateIf((r: IssueTokenRequest) => r.grantType === 'password') @IsEmail() @Text(1, 254) username?: string;
  @ValidateIf((r: IssueTokenRequest) => r.grantType === 'password') @Text(0, 200) password?: string;
  @ValidateIf((r: IssueTokenRequest) => r.grantType === 'refresh_token') @Matches(SHA256_HEX) refreshTokenHash?: string;
  /** SHA-256 of the access token the gateway made for this grant. */
  @Matches(SHA256_HEX) newAccessTokenHash!: string;
  /** SHA-256 of the refresh token the gateway made for this grant. */
  @Matches(SHA256_HEX) newRefreshTokenHash!: string;
  /** The caller's network address, for login rate limits. */
  @IsOptional() @Text(0, 64) clientAddress?: string;
}

/** The grant went through: the pair whose digests were sent is now live. */
export interface TokenReply {
  /** Seconds until the access token expires. */
  readonly expiresIn: number;
  readonly tokenType: 'Bearer';
  readonly clientId: string;
  readonly userId: string;
  /** A refresh ends the access token issued with the refresh token used: its digest, for caches to drop. */
  readonly revokedAccessTokenHash?: string;
}

/** Resolves an access token, given as the hex SHA-256 of the token so raw tokens never cross the bus. */
export class AuthenticateRequest {
  @Matches(SHA256_HEX) accessTokenHash!: string;
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
  @Matches(SHA256_HEX) accessTokenHash!: string;
}

/** An access token was revoked: caches holding it must drop it. */
export class TokenRevokedV1 {
  @Matches(SHA256_HEX) accessTokenHash!: string;
}
