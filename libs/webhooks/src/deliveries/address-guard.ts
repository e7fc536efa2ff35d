import type { LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { CleaveError } from '@cleave/platform';
import { WebhooksErrors } from '@cleave/contracts';
import type { HostResolver } from './host-resolver';

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

/**
 * Refuses an address outside the public internet, naming its class and not the address: a customer could
 * otherwise map the bank's internal names (`db`, `nats`) to their addresses one registration at a time.
 */
export function assertPublic(address: string, host: string, allowPrivate = false): void {
  const range = blockedRange(address, allowPrivate);
  if (range !== undefined) {
    throw CleaveError.ofField(
      WebhooksErrors.urlNotAllowed,
      { field: 'url', rule: 'publicAddress', message: `resolves to ${withArticle(range)} address` },
      `the webhook URL's host ${host} resolves to ${withArticle(range)} address; only public addresses are allowed`,
    );
  }
}

/** Resolves a URL's host and checks every address it has. */
export async function assertPublicUrl(url: URL, allowPrivate: boolean, resolve: HostResolver): Promise<void> {
  const host = hostOf(url);
  if (isIP(host)) return assertPublic(host, host, allowPrivate);
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(host);
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
  (allowPrivate: boolean, resolve: HostResolver): LookupFunction =>
  (hostname, options, callback) => {
    resolve(hostname).then(
      (found) => {
        for (const { address } of found) {
          const range = blockedRange(address, allowPrivate);
          if (range === undefined) continue;
          const refusal = new Error(`${hostname} resolves to ${withArticle(range)} address`);
          return callback(Object.assign(refusal, { code: 'EADDRNOTALLOWED' }), '', 0);
        }
        const family = (options as { family?: number | string }).family;
        const wanted = family === 4 || family === 'IPv4' ? 4 : family === 6 || family === 'IPv6' ? 6 : 0;
        const list = wanted === 0 ? found : found.filter((a) => a.family === wanted);
        if (list.length === 0)
          return callback(Object.assign(new Error(`${hostname} has no IPv${wanted} address`), { code: 'ENOTFOUND' }), '', 0);
        if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
        callback(null, list[0]!.address, list[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };

/** The host of a URL without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** `a private`, `a uniqueLocal`, `an unspecified`, `an IPv4-compatible`: a range's name with the article its sound takes. */
export function withArticle(range: string): string {
  return `${/^(un[^i]|[aeioAEIO]|rfc)/.test(range) ? 'an' : 'a'} ${range}`;
}
