import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDns, type FakeDns } from '../../../test/support/fake-dns';
import { assertPublicUrl } from '../src/deliveries/address-guard';
import { hostResolver } from '../src/deliveries/host-resolver';

/**
 * An attack drill pointed twenty webhooks at names whose nameserver answered once, at registration, and
 * never again: dns.lookup's threads, which can't be cancelled, each waited ~10 s a try, and every other
 * customer's webhook to a name waited behind them (28 of 28 tries failed while it lasted).
 */
describe("webhook hosts' addresses", () => {
  let dns: FakeDns;
  beforeAll(async () => {
    dns = await startFakeDns((name) => (name.startsWith('hang') ? 'ignore' : name === 'receiver.test' ? '127.0.0.1' : undefined));
  });
  afterAll(() => dns.close());

  it('are found for one host while lookups of hosts whose nameserver never answers wait, and those give up on their own', async () => {
    const resolve = hostResolver([dns.server], 300);
    let hanging = 0;
    const stuck = Array.from({ length: 40 }, (_, i) =>
      resolve(`hang-${i}.test`).then(
        () => 'resolved',
        (error: NodeJS.ErrnoException) => error.code,
      ),
    );
    for (const lookup of stuck) void lookup.finally(() => hanging++);
    expect(await resolve('receiver.test')).toEqual([{ address: '127.0.0.1', family: 4 }]);
    expect(hanging).toBe(0);
    expect(new Set(await Promise.all(stuck))).toEqual(new Set(['ETIMEOUT']));
    expect(dns.heard.get('hang-0.test')).toBeGreaterThan(0);
  });

  it('refuses a host that does not resolve, and answers localhost as loopback without asking', async () => {
    const resolve = hostResolver([dns.server], 300);
    await expect(assertPublicUrl(new URL('http://missing.test/hook'), true, resolve)).rejects.toMatchObject({ reason: 'url_unresolvable' });
    expect(await resolve('localhost')).toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
    expect(dns.heard.has('localhost')).toBe(false);
  });
});
