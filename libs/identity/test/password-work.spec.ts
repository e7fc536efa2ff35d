import { describe, expect, it } from 'vitest';
import { rootContext, runWithContext } from '@cleave/platform';
import { IdentitySettings } from '../src/identity.settings';
import { PasswordWork } from '../src/users/password-work';
import { hashPassword } from '../src/users/passwords';

function work(concurrency: number): PasswordWork {
  const settings = Object.assign(new IdentitySettings(), { CLEAVE_PASSWORD_HASH_COST: 12, CLEAVE_PASSWORD_HASH_CONCURRENCY: concurrency });
  return new PasswordWork(settings);
}

describe('password hashing', () => {
  // Forty sign-ups at once held a customer's login behind them until it timed out.
  it('takes a login before the sign-ups queued ahead of it', async () => {
    const passwords = work(1);
    const stored = await hashPassword('a long password', 12);
    const finished: string[] = [];
    const signUps = Array.from({ length: 4 }, (_, i) => passwords.hash(`password ${i}`).then(() => finished.push(`sign-up ${i}`)));
    const login = passwords.verify('a long password', stored).then((ok) => finished.push(`login ${ok}`));
    await Promise.all([...signUps, login]);
    // The first sign-up was running when the login came; the login went next.
    expect(finished.slice(0, 2)).toEqual(['sign-up 0', 'login true']);
    expect(finished).toHaveLength(5);
  });

  it('never starts work whose caller has stopped waiting, and frees its place', async () => {
    const passwords = work(1);
    const busy = passwords.hash('first');
    const late = runWithContext(rootContext({ timeoutMs: 1 }, 1), () => passwords.hash('second'));
    await expect(late).rejects.toMatchObject({ code: 'timeout' });
    await busy;
    expect(await passwords.hash('third')).toMatch(/^scrypt\$12\$/);
  });
});
