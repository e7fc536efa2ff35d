import { Inject, Injectable } from '@nestjs/common';
import { CleaveError, currentContext, remainingMs } from '@cleave/platform';
import { IdentitySettings } from '../identity.settings';
import { hashPassword, verifyPassword } from './passwords';

/**
 * Password hashing, which is made to be costly (scrypt: tens of milliseconds of a core and 32 MiB each), done
 * at most CLEAVE_PASSWORD_HASH_CONCURRENCY at a time, logins before sign-ups: a flood of sign-ups queued on
 * libuv's threads held every customer's login behind it until it timed out. Work whose caller has stopped
 * waiting is not started.
 */
@Injectable()
export class PasswordWork {
  private running = 0;
  private readonly logins: Array<() => void> = [];
  private readonly signUps: Array<() => void> = [];

  constructor(@Inject(IdentitySettings) private readonly settings: IdentitySettings) {}

  /** A new password's hash, for a sign-up. */
  hash(password: string): Promise<string> {
    return this.run(this.signUps, () => hashPassword(password, this.settings.CLEAVE_PASSWORD_HASH_COST));
  }

  /** Whether a password matches its hash, for a login. */
  verify(password: string, stored: string): Promise<boolean> {
    return this.run(this.logins, () => verifyPassword(password, stored));
  }

  private async run<T>(queue: Array<() => void>, work: () => Promise<T>): Promise<T> {
    // A slot is handed straight from the work that ends to the next in line, logins first.
    if (this.running < this.settings.CLEAVE_PASSWORD_HASH_CONCURRENCY) this.running++;
    else await new Promise<void>((resolve) => queue.push(resolve));
    try {
      const context = currentContext();
      if (context !== undefined && remainingMs(context) <= 0) throw CleaveError.timeout('the password was not checked before the deadline');
      return await work();
    } finally {
      const next = this.logins.shift() ?? this.signUps.shift();
      if (next) next();
      else this.running--;
    }
  }
}
