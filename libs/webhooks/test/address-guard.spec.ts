import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPublicUrl, blockedRange, guardedLookup } from '../src/deliveries/address-guard';
import { hostResolver } from '../src/deliveries/host-resolver';
import { postJson } from '../src/deliveries/http-post';
import { sign, verify } from '../src/deliveries/signature';

describe('the SSRF guard', () => {
  const resolve = hostResolver();
  const blocked: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['169.254.169.254', 'cloud metadata'],
    ['fd00:ec2::254', 'cloud metadata'],
    // Azure's WireServer, a public address.
    ['168.63.129.16', 'cloud metadata'],
    ['::ffff:168.63.129.16', 'cloud metadata'],
    ['169.254.10.10', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['::7f00:1', 'IPv4-compatible'],
    ['::a9fe:a9fe', 'IPv4-compatible'],
  ];

  it.each(blocked)('refuses %s (%s)', (address, range) => {
    expect(blockedRange(address)).toBe(range);
  });

  it('allows public unicast addresses', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(blockedRange(address)).toBeUndefined();
  });

  it('lets the development setting reach loopback and private networks, never link-local or metadata', () => {
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', '192.168.1.1', 'fd12:3456::1'])
      expect(blockedRange(address, true)).toBeUndefined();
    for (const address of ['169.254.169.254', 'fd00:ec2::254', 'fe80::1', '0.0.0.0']) expect(blockedRange(address, true)).toBeDefined();
  });

  it('names the class with the article it takes', async () => {
    for (const [host, phrase] of [
      ['0.0.0.0', 'an unspecified address'],
      ['[::7f00:1]', 'an IPv4-compatible address'],
      ['[fd12:3456::1]', 'a uniqueLocal address'],
      ['127.0.0.1', 'a loopback address'],
    ])
      expect(((await assertPublicUrl(new URL(`http://${host}/hook`), false, resolve).catch((e: unknown) => e)) as Error).message).toContain(
        phrase,
      );
  });

  it('checks what a name resolves to at registration, and names the field', async () => {
    const refused = await assertPublicUrl(new URL('http://localhost:8080/hook'), false, resolve).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'bad_request', reason: 'url_not_allowed' });
    expect(JSON.stringify(refused)).toContain('url');
    // The class, never the address: a customer could map the bank's internal names one registration at a time.
    expect(JSON.stringify(refused)).not.toMatch(/127\.0\.0\.1|::1/);
    await expect(assertPublicUrl(new URL('http://[::1]/hook'), false, resolve)).rejects.toMatchObject({ reason: 'url_not_allowed' });
    await expect(assertPublicUrl(new URL('http://name-that-does-not-exist.invalid/hook'), false, resolve)).rejects.toMatchObject({
      reason: 'url_unresolvable',
    });
  });

  describe('at delivery', () => {
    let server: Server;
    let port: number;
    let hits = 0;
    let flooding: Promise<number> | undefined;
    beforeAll(async () => {
      server = createServer((req, res) => {
        hits++;
        if (req.url !== '/flood') return res.end('ok');
        // An answer that never ends: a megabyte at a time for as long as anyone reads it.
        flooding = new Promise((resolve) => {
          const chunk = Buffer.alloc(1 << 20, 'x');
          let sent = 0;
          const more = () => {
            while (res.write(chunk)) if (++sent > 10_000) return res.end();
          };
          res.on('drain', more);
          res.on('close', () => resolve(sent));
          more();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('connects only to the addresses it checked: a name that now resolves to loopback never gets a request', async () => {
      await expect(postJson(new URL(`http://localhost:${port}/`), '{}', {}, 2_000, guardedLookup(false, resolve))).rejects.toThrow(
        /loopback/,
      );
      expect(hits).toBe(0);
      // The same request with the development setting goes through: the guard, not the network, refused it.
      expect((await postJson(new URL(`http://localhost:${port}/`), '{}', {}, 2_000, guardedLookup(true, resolve))).statusCode).toBe(200);
      expect(hits).toBe(1);
    });

    // A receiver streaming an endless body had its every byte read until the try timed out.
    it('takes the status and cuts off a receiver that keeps answering', async () => {
      expect((await postJson(new URL(`http://127.0.0.1:${port}/flood`), '{}', {}, 60_000)).statusCode).toBe(200);
      expect(await flooding).toBeLessThan(50);
    });
  });
});

describe('webhook signatures', () => {
  it('verify with the right secret and body only, within the tolerance', () => {
    const body = '{"type":"transaction.created"}';
    const now = Date.now();
    const header = sign('whsec_a', Math.floor(now / 1000), body);
    expect(verify('whsec_a', header, body, 300, now)).toBe(true);
    expect(verify('whsec_b', header, body, 300, now)).toBe(false);
    expect(verify('whsec_a', header, `${body} `, 300, now)).toBe(false);
    expect(verify('whsec_a', header, body, 300, now + 301_000)).toBe(false);
    expect(verify('whsec_a', 'garbage', body, 300, now)).toBe(false);
  });
});
