import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { CleaveError } from '@cleave/platform';
import { WebhooksErrors } from '@cleave/contracts';

/** What the development setting opens up: a receiver on the developer's own machine or network. */
const PRIVATE_RANGES = new Set(['loopback', 'private', 'uniqueLocal', 'carrierGradeNat']);
/** Cloud metadata services (AWS, GCP, Azure's WireServer, Alibaba): never a webhook's target, whatever the setting. */
const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254', '168.63.129.16', '100.100.100.200']);

/**
 * The SSRF guard. A webhook may only reach public unicast addresses: not loopback, private (RFC 1918,
 * unique-local), link-local (where cloud metadata lives: 169.254.169.254, fd00:ec2::254), carrier-grade NAT,
 * unspecified, multicast or reserved ranges. Checked on the resolved addresses, at registration and again on
 * every delivery, whose connection uses exactly the addresses that were checked. `allowPrivate` (development)
 * lets loopback and private networks through, never link-local or metadata addresses.
 */
export function blockedRange(address: string, allowPrivate = false): string | undefined {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  if (METADATA.has(parsed.toNormalizedString()) || METADATA.has(parsed.toString())) return 'cloud metadata';
  const range = parsed.range();
  // ::a.b.c.d, deprecated IPv4-compatible addresses, which ipaddr.js calls unicast: some stacks reach the IPv4 one.
  if (range === 'unicast' && parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0))
    return 'IPv4-compatible';
  if (range === 'unicast' || (allowPrivate && PRIVATE_RANGES.has(range))) return undefined;
  return range;
}

/** Refuses an address outside the public internet, naming its class. */
export function assertPublic(address: string, host: string, allowPrivate = false): void {
  const range = blockedRange(address, allowPrivate);
  if (range !== undefined) {
    throw CleaveError.ofField(
      WebhooksErrors.urlNotAllowed,
      { field: 'url', rule: 'publicAddress', message: `resolves to ${withArticle(range)} address (${address})` },
      `the webhook URL's host ${host} resolves to ${address}, ${withArticle(range)} address; only public addresses are allowed`,
    );
  }
}

/** Resolves a URL's host and checks every address it has. */
export async function assertPublicUrl(url: URL, allowPrivate: boolean): Promise<void> {
  const host = hostOf(url);
  if (isIP(host)) return assertPublic(host, host, allowPrivate);
  let addresses: LookupAddress[];
  try {
    addresses = await new Promise((resolve, reject) =>
      dnsLookup(host, { all: true }, (error, found) => (error ? reject(error) : resolve(found))),
    );
  } catch (error) {
    throw CleaveError.ofField(
      WebhooksErrors.urlUnresolvable,
      { field: 'url', rule: 'resolvable', message: `${host} does not resolve` },
      `the webhook URL's host ${host} does not resolve: ${(error as Error).message}`,
    );
  }
  for (const { address } of addresses) assertPublic(address, host, allowPrivate);
}

/** A DNS lookup for http.request that fails the connection when any resolved address is not allowed. */
export const guardedLookup =
  (allowPrivate: boolean): LookupFunction =>
  (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as LookupAddress[];
      for (const { address } of list) {
        const range = blockedRange(address, allowPrivate);
        if (range === undefined) continue;
        const refusal = new Error(`${hostname} resolves to ${address}, ${withArticle(range)} address`);
        return callback(Object.assign(refusal, { code: 'EADDRNOTALLOWED' }), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };

/** The host of a URL without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** `a private`, `a uniqueLocal`, `an unspecified`, `an IPv4-compatible`: a range's name with the article its sound takes. */
export function withArticle(range: string): string {
  return `${/^(un[^i]|[aeioAEIO]|rfc)/.test(range) ? 'an' : 'a'} ${range}`;
}
