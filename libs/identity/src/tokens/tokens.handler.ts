import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { IsNull } from 'typeorm';
import {
  type AuthenticatedUser,
  type AuthenticateRequest,
  IdentityErrors,
  IdentityEventNames,
  type IssueTokenRequest,
  type RevokeTokenRequest,
  type TokenReply,
} from '@cleave/contracts';
import { CleaveError, ContextDatabase, newEntityId, Outbox, sameSecret } from '@cleave/platform';
import { OAuthClient } from '../clients/oauth-client.entity';
import { IdentitySettings } from '../identity.settings';
import { LoginLimiter } from '../login/login-limiter';
import { PasswordWork } from '../users/password-work';
import { User } from '../users/user.entity';
import { Token } from './token.entity';

/** What every customer token may do; the card network's credential is not a user token. */
const USER_SCOPES = ['customer'];

// A valid hash of a password nobody has, at the cost new passwords are hashed at, so an unknown email costs
// as much as a wrong password (a fixed cost told unknown emails apart wherever the setting differs).
const decoyHash = (log2Cost: number) => `scrypt$${log2Cost}$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`;

/**
 * OAuth2 tokens: opaque random strings the gateway makes (prefixed, so secret scanners can spot them),
 * known here only by their SHA-256; access tokens expire and can be revoked, refresh tokens are single-use.
 */
@Injectable()
export class TokensHandler {
  constructor(
    private readonly db: ContextDatabase,
    private readonly outbox: Outbox,
    private readonly limiter: LoginLimiter,
    private readonly passwords: PasswordWork,
    @Inject(IdentitySettings) private readonly settings: IdentitySettings,
  ) {}

  async issue(request: IssueTokenRequest): Promise<TokenReply> {
    await this.authenticateClient(request.clientId, request.clientSecretHash);
    return request.grantType === 'password' ? this.passwordGrant(request) : this.refreshGrant(request);
  }

  async authenticate(request: AuthenticateRequest): Promise<AuthenticatedUser> {
    const token = await this.db.read((em) => em.findOneBy(Token, { hash: request.accessTokenHash, kind: 'access' }));
    if (!token || token.revokedAt !== null || token.expiresAt <= new Date().toISOString()) {
      throw CleaveError.of(IdentityErrors.badAccessToken, 'the access token is invalid, expired or revoked');
    }
    return { userId: token.userId, clientId: token.clientId, scopes: USER_SCOPES, expiresAt: token.expiresAt };
  }

  async revoke(request: RevokeTokenRequest): Promise<void> {
    await this.db.transaction(async (em) => {
      const token = await em.findOneBy(Token, { hash: request.accessTokenHash, kind: 'access' });
      if (!token) return;
      await em.update(Token, { pairId: token.pairId, revokedAt: IsNull() }, { revokedAt: new Date().toISOString() });
      await this.outbox.add(em, IdentityEventNames.TokenRevoked, { accessTokenHash: request.accessTokenHash }, token.userId);
    });
  }

  private async passwordGrant(request: IssueTokenRequest): Promise<TokenReply> {
    const email = request.username!.trim().toLowerCase();
    const address = request.clientAddress ?? 'unknown';
    const attempt = await this.limiter.begin(email, address);
    const user = await this.db.read((em) => em.findOneBy(User, { email }));
    const ok = await this.passwords.verify(request.password!, user?.passwordHash ?? decoyHash(this.settings.CLEAVE_PASSWORD_HASH_COST));
    if (!ok || !user) throw CleaveError.of(IdentityErrors.badCredentials, 'the email or password is wrong');
    await this.limiter.succeeded(attempt);
    return this.db.transaction((em) => this.issuePair(em, user.id, request));
  }

  private async refreshGrant(request: IssueTokenRequest): Promise<TokenReply> {
    const hash = request.refreshTokenHash!;
    const now = new Date().toISOString();
    const outcome = await this.db.transaction(async (em) => {
      const token = await em.findOneBy(Token, { hash, kind: 'refresh' });
      if (!token || token.clientId !== request.clientId || token.revokedAt !== null || token.expiresAt <= now) {
        throw CleaveError.of(IdentityErrors.badRefreshToken, 'the refresh token is invalid, expired or revoked');
      }
      // Single use: the conditional update lets exactly one of two concurrent exchanges through.
      const claimed = await em
        .createQueryBuilder()
        .update(Token)
        .set({ usedAt: now })
        .where('hash = :hash AND used_at IS NULL', { hash })
        .execute();
      if (claimed.affected !== 1) {
        // Two holders of one refresh token: nobody can tell the customer's from a thief's, so every token
        // since the login ends (RFC 9700, 4.14.2), committed before the refusal is told.
        await this.revokeFamily(em, token, now);
        return 'reused' as const;
      }
      const previousAccess = await em.findOneBy(Token, { pairId: token.pairId, kind: 'access', revokedAt: IsNull() });
      if (previousAccess) {
        await em.update(Token, { hash: previousAccess.hash }, { revokedAt: now });
        await this.outbox.add(em, IdentityEventNames.TokenRevoked, { accessTokenHash: previousAccess.hash }, token.userId);
      }
      return { ...(await this.issuePair(em, token.userId, request, token.familyId)), revokedAccessTokenHash: previousAccess?.hash };
    });
    if (outcome === 'reused') {
      throw CleaveError.of(
        IdentityErrors.refreshTokenUsed,
        'the refresh token was already used: every token since its login is now revoked',
      );
    }
    return outcome;
  }

  private async revokeFamily(em: EntityManager, token: Token, now: string): Promise<void> {
    const liveAccess = await em.findBy(Token, { familyId: token.familyId, kind: 'access', revokedAt: IsNull() });
    await em.update(Token, { familyId: token.familyId, revokedAt: IsNull() }, { revokedAt: now });
    for (const access of liveAccess) {
      await this.outbox.add(em, IdentityEventNames.TokenRevoked, { accessTokenHash: access.hash }, token.userId);
    }
  }

  /** A new pair, in the family of the login it descends from (a login starts one of its own). */
  private async issuePair(em: EntityManager, userId: string, request: IssueTokenRequest, familyId?: string): Promise<TokenReply> {
    const pairId = newEntityId('pair');
    const now = Date.now();
    const base = {
      pairId,
      familyId: familyId ?? pairId,
      userId,
      clientId: request.clientId,
      revokedAt: null,
      usedAt: null,
      createdAt: new Date(now).toISOString(),
    };
    await em.insert(Token, [
      {
        ...base,
        hash: request.newAccessTokenHash,
        kind: 'access',
        expiresAt: new Date(now + this.settings.CLEAVE_ACCESS_TOKEN_TTL_SECONDS * 1000).toISOString(),
      },
      {
        ...base,
        hash: request.newRefreshTokenHash,
        kind: 'refresh',
        expiresAt: new Date(now + this.settings.CLEAVE_REFRESH_TOKEN_TTL_SECONDS * 1000).toISOString(),
      },
    ]);
    return { expiresIn: this.settings.CLEAVE_ACCESS_TOKEN_TTL_SECONDS, tokenType: 'Bearer', clientId: request.clientId, userId };
  }

  private async authenticateClient(clientId: string, secretHash: string | undefined): Promise<void> {
    const client = await this.db.read((em) => em.findOneBy(OAuthClient, { id: clientId }));
    const secretOk =
      client !== null && (client.secretHash === null || (secretHash !== undefined && sameSecret(secretHash, client.secretHash)));
    if (!secretOk) throw CleaveError.of(IdentityErrors.badClient, 'unknown client, or wrong client secret');
  }
}
