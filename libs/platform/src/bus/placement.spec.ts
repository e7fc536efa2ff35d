import { describe, expect, it } from 'vitest';
import { resolvePlacement } from './placement';

const known = ['accounts', 'ledger', 'gateway'];

describe('resolvePlacement', () => {
  it('hosts everything for all, in-process', () => {
    expect(resolvePlacement('all', known, 'auto')).toEqual({ known, hosted: new Set(known), nats: false });
  });

  it('uses NATS for whatever is not hosted', () => {
    const p = resolvePlacement(' Ledger , gateway ', known, 'auto');
    expect([...p.hosted]).toEqual(['ledger', 'gateway']);
    expect(p.nats).toBe(true);
  });

  it('hosts nothing for none', () => {
    expect(resolvePlacement('none', known, 'auto').hosted.size).toBe(0);
  });

  it('connects to NATS even when hosting all, if told to serve others', () => {
    expect(resolvePlacement('all', known, 'nats').nats).toBe(true);
  });

  it('names unknown contexts', () => {
    expect(() => resolvePlacement('ledger,cardz,feeds', known, 'auto')).toThrow(
      /unknown contexts 'cardz', 'feeds' \(known: accounts, ledger, gateway\)/,
    );
  });

  it('refuses an in-process transport that would leave contexts unreachable', () => {
    expect(() => resolvePlacement('ledger', known, 'in-process')).toThrow(/leaves accounts, gateway unhosted/);
  });

  it('refuses an empty list', () => {
    expect(() => resolvePlacement(' , ', known, 'auto')).toThrow(/CLEAVE_SERVICES is empty/);
  });
});
