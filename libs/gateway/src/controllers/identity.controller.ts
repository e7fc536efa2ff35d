import { Body, Get, Header, HttpCode, Post, Req } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import { ApiOperation } from '@nestjs/swagger';
import { IdentityPatterns, PlatformErrors } from '@cleave/contracts';
import { randomBytes } from 'node:crypto';
import { CleaveError, currentContext, MessageBus, sha256Hex } from '@cleave/platform';
import { TokenCache } from '../auth/token-cache';
import { SignUpBody, TokenBody } from '../dto/identity.dto';
import { basicClientCredentials } from '../http/basic-credentials';
import { GatewayController } from '../http/gateway-controller.decorator';
import { Public } from '../http/public.decorator';
import type { GatewayRequest } from '../http/request-context.guard';
import { tokenJson, userJson } from '../http/views';

/** Sign-up, OAuth2 tokens, whoami. */
@GatewayController('identity')
export class IdentityController {
  constructor(
    private readonly bus: MessageBus,
    private readonly cache: TokenCache,
  ) {}

  @Post('users')
  @Public()
  @ApiOperation({ summary: 'Sign a customer up' })
  async signUp(@Body() body: SignUpBody) {
    return userJson(await this.bus.send(IdentityPatterns.SignUp, body));
  }

  @Post('oauth2/token')
  @Public()
  @HttpCode(200)
  // RFC 6749 §5.1: a response carrying tokens must not be cached.
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({ summary: 'Exchange a password or a refresh token for an access token' })
  async token(@Body() body: TokenBody, @Req() request: GatewayRequest) {
    const basic = basicClientCredentials(request.headers.authorization);
    if (basic && body.client_id !== undefined && body.client_id !== basic.clientId) {
      throw CleaveError.ofField(PlatformErrors.badParam, {
        field: 'client_id',
        rule: 'sameClient',
        message: 'client_id names another client than the Authorization header',
      });
    }
    // RFC 6749 §2.3: one way of authenticating the client per request.
    if (basic && body.client_secret !== undefined) {
      throw CleaveError.ofField(PlatformErrors.badParam, {
        field: 'client_secret',
        rule: 'oneClientAuthentication',
        message: 'send the client secret in the Authorization header or in the body, not both',
      });
    }
    const clientId = body.client_id ?? basic?.clientId;
    const clientSecret = body.client_secret ?? basic?.clientSecret;
    const needs = body.grant_type === 'password' ? (['username', 'password'] as const) : (['refresh_token'] as const);
    const missing = [...(clientId === undefined ? ['client_id'] : []), ...needs.filter((field) => !body[field])];
    if (missing.length > 0) {
      throw CleaveError.of(PlatformErrors.missingParam, `the ${body.grant_type} grant needs ${missing.join(' and ')}`, {
        fields: missing.map((field) => ({ field, rule: 'isDefined', message: `${field} is needed for the ${body.grant_type} grant` })),
      });
    }
    // The new pair's secrets are made here and only their digests cross the bus.
    const accessToken = `cleave_at_${randomBytes(32).toString('base64url')}`;
    const refreshToken = `cleave_rt_${randomBytes(32).toString('base64url')}`;
    const reply = await this.bus.send(IdentityPatterns.IssueToken, {
      grantType: body.grant_type,
      clientId: clientId!,
      clientSecretHash: clientSecret === undefined ? undefined : sha256Hex(clientSecret),
      username: body.username,
      password: body.password,
      refreshTokenHash: body.refresh_token === undefined ? undefined : sha256Hex(body.refresh_token),
      newAccessTokenHash: sha256Hex(accessToken),
      newRefreshTokenHash: sha256Hex(refreshToken),
      // An IPv6 client holds a whole /64: one address to the login limit, as to the API's.
      clientAddress: normalizeIp(request.ip),
    });
    // A refresh ends the old access token: forgotten here at once, and by the other replicas through identity's event.
    if (reply.revokedAccessTokenHash) this.cache.invalidate(reply.revokedAccessTokenHash);
    return tokenJson({ accessToken, refreshToken, ...reply });
  }

  @Post('oauth2/logout')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke the access token used (and its refresh token)' })
  async logout(@Req() request: GatewayRequest) {
    await this.bus.send(IdentityPatterns.RevokeToken, { accessTokenHash: request.accessTokenHash! });
    this.cache.invalidate(request.accessTokenHash!);
    return {};
  }

  @Get('ping/whoami')
  @ApiOperation({ summary: 'Who the access token speaks for' })
  whoami() {
    const principal = currentContext()!.principal!;
    return { authenticated: true, client_id: principal.clientId, user_id: principal.id };
  }
}
