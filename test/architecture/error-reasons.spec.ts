import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlatformErrors, errorReasons, LedgerErrors } from '@cleave/contracts';
import { CleaveError } from '@cleave/platform';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/**
 * A reason a context fails with, or that another reads, is a constant its contract declares: a string typed
 * at each end drifts apart silently (cards once read `insufficient_funds` the ledger raised).
 */
const RAISED_AS_STRING =
  /CleaveError\.(?:badRequest|forbidden|notFound|conflict|unavailable)\([^;]*?,\s*'[a-z_]+'\s*[,)]|new CleaveError\('[a-z_]+',[^;]*?\{\s*reason:\s*'[a-z_]+'/s;
/** A reason passed to the constructor, from anywhere but CleaveError itself: `CleaveError.of` takes declared ones only. */
const RAISED_WITH_REASON = /new CleaveError\([^;]*?\{[^}]*\breason\b/s;
const READ_AS_STRING = /(?<!typeof )\b[\w.()]+\.reason\s*[!=]==\s*'[a-z_]+'/;

describe('error reasons', () => {
  const contexts = ['accounts', 'cards', 'feed', 'gateway', 'identity', 'ledger', 'platform', 'webhooks'];

  it('are raised and read through the constants the contracts declare, never as strings', () => {
    const offenders: string[] = [];
    for (const context of contexts) {
      for (const file of sources(join(root, 'libs', context, 'src'))) {
        const text = readFileSync(file, 'utf8');
        for (const statement of text.split(/;\s*\n/)) {
          const constructsReasons = RAISED_WITH_REASON.test(statement) && !file.endsWith(join('errors', 'cleave-error.ts'));
          if (RAISED_AS_STRING.test(statement) || READ_AS_STRING.test(statement) || constructsReasons)
            offenders.push(`${relative(root, file)}: ${statement.trim().slice(0, 120)}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the check above catches a reason raised or read as a string', () => {
    expect(RAISED_AS_STRING.test(`throw CleaveError.conflict(\`hold \${id} is gone\`, 'hold_not_pending')`)).toBe(true);
    expect(RAISED_AS_STRING.test(`throw new CleaveError('precondition_failed', 'no', {\n  reason: 'insufficient_funds',\n})`)).toBe(true);
    expect(READ_AS_STRING.test(`if (e.reason === 'insufficient_funds') return`)).toBe(true);
    expect(READ_AS_STRING.test(`typeof value.reason === 'string'`)).toBe(false);
    expect(RAISED_AS_STRING.test(`throw CleaveError.of(LedgerErrors.holdNotPending, 'gone')`)).toBe(false);
    expect(
      RAISED_WITH_REASON.test(`const reason = big ? 'body_too_large' : 'bad_body';\nreturn new CleaveError(code, message, { reason })`),
    ).toBe(true);
    expect(RAISED_WITH_REASON.test(`return new CleaveError(code, exception.message)`)).toBe(false);
  });

  it('survive the wire: the receiver recognises the declared reason and whether to try again', () => {
    const sent = CleaveError.of(LedgerErrors.insufficientFunds, 'insufficient funds: 5 available, 10 needed');
    const received = CleaveError.fromEnvelope(JSON.parse(JSON.stringify(sent.toEnvelope())));
    expect(received.is(LedgerErrors.insufficientFunds)).toBe(true);
    expect(received.is(LedgerErrors.holdNotPending)).toBe(false);
    expect(received.retryable).toBe(false);
    const shed = CleaveError.fromEnvelope(
      JSON.parse(JSON.stringify(CleaveError.of(PlatformErrors.overloaded, 'busy', { retryAfterSeconds: 1 }).toEnvelope())),
    );
    expect(shed.retryable).toBe(true);
    expect(shed.details?.retryAfterSeconds).toBe(1);
    // Undeclared: a timeout or an unavailable callee may answer next time; a wrong request never will.
    expect(CleaveError.timeout('slow').retryable).toBe(true);
    expect(CleaveError.badRequest('no').retryable).toBe(false);
  });

  it('mean one thing: a reason declared retryable by one context and final by another is refused', () => {
    expect(() => errorReasons({ sameAccount: ['bad_request', 'same_account', 'retryable'] })).toThrow(/both retryable and not/);
  });
});
