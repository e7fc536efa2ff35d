import { Inject, Injectable } from '@nestjs/common';
import { CleaveError, ContextDatabase, newEntityId } from '@cleave/platform';
import { MoreThan } from 'typeorm';
import { IdentitySettings } from '../identity.settings';
import { LoginAttempt } from './login-attempt.entity';

/**
 * Password-login rate limits, per user (failed attempts) and per client address (all attempts), counted in
 * identity's own database so every replica sees the same counts.
 */
@Injectable()
export class LoginLimiter {
  constructor(
    private readonly db: ContextDatabase,
    @Inject(IdentitySettings) private readonly settings: IdentitySettings,
  ) {}

  async check(email: string, address: string): Promise<void> {
    const since = new Date(Date.now() - this.settings.CLEAVE_LOGIN_WINDOW_SECONDS * 1000).toISOString();
    const [failures, fromAddress] = await this.db.read(async (em) => [
      await em.countBy(LoginAttempt, { email, succeeded: false, at: MoreThan(since) }),
      await em.countBy(LoginAttempt, { address, at: MoreThan(since) }),
    ]);
    if (failures >= this.settings.CLEAVE_LOGIN_MAX_FAILURES_PER_USER || fromAddress >= this.settings.CLEAVE_LOGIN_MAX_ATTEMPTS_PER_ADDRESS) {
      throw new CleaveError('rate_limited', 'too many login attempts; try again later', {
        reason: 'too_many_login_attempts',
        details: { retryAfterSeconds: this.settings.CLEAVE_LOGIN_WINDOW_SECONDS },
      });
    }
  }

  async record(email: string, address: string, succeeded: boolean): Promise<void> {
    await this.db.transaction((em) => em.insert(LoginAttempt, { id: newEntityId('login'), email, address, succeeded, at: new Date().toISOString() }));
  }
}
