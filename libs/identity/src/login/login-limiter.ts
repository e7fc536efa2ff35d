import { Inject, Injectable } from '@nestjs/common';
import { CleaveError, ContextDatabase, newEntityId, type PrunedTable } from '@cleave/platform';
import { MoreThan } from 'typeorm';
import { IdentitySettings } from '../identity.settings';
import { LoginAttempt } from './login-attempt.entity';
import { IdentityErrors } from '@cleave/contracts';

/** Kept past the window by this much, so a replica whose clock runs behind still counts what it should. */
const CLOCK_SKEW_ALLOWANCE_MS = 5 * 60_000;

/** login_attempts as housekeeping prunes it: an attempt outside the window no longer counts, so it goes. */
export function loginAttemptsPruning(settings: IdentitySettings): PrunedTable {
  return {
    table: 'login_attempts',
    key: ['id'],
    column: 'at',
    keepMs: settings.CLEAVE_LOGIN_WINDOW_SECONDS * 1000 + CLOCK_SKEW_ALLOWANCE_MS,
  };
}

/**
 * Password-login rate limits, per user (failed attempts) and per client address (all attempts), counted in
 * identity's own database so every replica sees the same counts. An attempt takes its place in the counts
 * before the password is checked, in one transaction with the count (locked per user and per address), so
 * concurrent attempts can't all slip under the limit; it counts as failed until it succeeds.
 */
@Injectable()
export class LoginLimiter {
  constructor(
    private readonly db: ContextDatabase,
    @Inject(IdentitySettings) private readonly settings: IdentitySettings,
  ) {}

  /** Counts an attempt, or refuses it as `rate_limited`; returns its id, for {@link succeeded}. */
  begin(email: string, address: string): Promise<string> {
    const since = new Date(Date.now() - this.settings.CLEAVE_LOGIN_WINDOW_SECONDS * 1000).toISOString();
    return this.db.transaction(async (em) => {
      await this.db.lockKeys(em, [`login-user:${email}`, `login-address:${address}`]);
      const failures = await em.countBy(LoginAttempt, { email, succeeded: false, at: MoreThan(since) });
      const fromAddress = await em.countBy(LoginAttempt, { address, at: MoreThan(since) });
      if (
        failures >= this.settings.CLEAVE_LOGIN_MAX_FAILURES_PER_USER ||
        fromAddress >= this.settings.CLEAVE_LOGIN_MAX_ATTEMPTS_PER_ADDRESS
      ) {
        throw CleaveError.of(IdentityErrors.tooManyLoginAttempts, 'too many login attempts; try again later', {
          retryAfterSeconds: this.settings.CLEAVE_LOGIN_WINDOW_SECONDS,
        });
      }
      const id = newEntityId('login');
      await em.insert(LoginAttempt, { id, email, address, succeeded: false, at: new Date().toISOString() });
      return id;
    });
  }

  /** The attempt's password was right: it no longer counts against the user. */
  async succeeded(attemptId: string): Promise<void> {
    await this.db.transaction((em) => em.update(LoginAttempt, { id: attemptId }, { succeeded: true }));
  }
}
