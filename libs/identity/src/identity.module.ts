import { Module } from '@nestjs/common';
import {
  CLEAVE_CONFIG,
  ContextDatabase,
  DatabaseModule,
  Housekeeping,
  HousekeepingSettings,
  readSettings,
  type CleaveConfig,
} from '@cleave/platform';
import { OAuthClient } from './clients/oauth-client.entity';
import { IdentityHandlers } from './identity.handlers';
import { IdentitySettings } from './identity.settings';
import { LoginAttempt } from './login/login-attempt.entity';
import { LoginLimiter, loginAttemptsPruning } from './login/login-limiter';
import { identityMigrations } from './migrations';
import { Token } from './tokens/token.entity';
import { TokensHandler } from './tokens/tokens.handler';
import { PasswordWork } from './users/password-work';
import { SignUpHandler } from './users/sign-up.handler';
import { User } from './users/user.entity';

/** Customers, OAuth2 clients and tokens, in a database of their own. */
@Module({
  imports: [
    DatabaseModule.forContext({
      context: 'identity',
      events: true,
      entities: [User, OAuthClient, Token, LoginAttempt],
      migrations: identityMigrations,
    }),
  ],
  controllers: [IdentityHandlers],
  providers: [
    {
      provide: IdentitySettings,
      useFactory: (config: CleaveConfig) => readSettings(IdentitySettings, config.env),
      inject: [CLEAVE_CONFIG],
    },
    SignUpHandler,
    PasswordWork,
    LoginLimiter,
    {
      provide: Housekeeping,
      useFactory: (db: ContextDatabase, config: CleaveConfig, settings: IdentitySettings) =>
        new Housekeeping(
          'identity',
          db,
          [loginAttemptsPruning(settings)],
          readSettings(HousekeepingSettings, config.env).CLEAVE_HOUSEKEEPING_MS,
        ),
      inject: [ContextDatabase, CLEAVE_CONFIG, IdentitySettings],
    },
    TokensHandler,
  ],
})
export class IdentityModule {}
