import { Resolver } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';

/** A webhook host's addresses, IPv4 first. */
export type HostResolver = (host: string) => Promise<LookupAddress[]>;

const LOOPBACK: readonly LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

/**
 * Resolves webhook hosts by asking DNS directly (c-ares), not through `dns.lookup`: getaddrinfo runs on
 * libuv's few threads and can't be cancelled, so a host whose nameserver never answers held a thread for
 * ~10 s a try, and a handful of them, one customer's webhooks, stopped every other webhook to a name in the
 * process. A query here waits on a socket, gives up after its own timeout and holds nothing meanwhile.
 * `/etc/hosts` is not read (a webhook's public host is in DNS); `localhost` is loopback, as RFC 6761 says.
 * `servers` (`host` or `host:port`) replaces the system's nameservers.
 */
export function hostResolver(servers: readonly string[] = [], timeoutMs = 1_000): HostResolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers.length > 0) resolver.setServers(servers);
  return async (host) => {
    const name = host.toLowerCase().replace(/\.$/, '');
    if (name === 'localhost' || name.endsWith('.localhost')) return [...LOOPBACK];
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
    const found: LookupAddress[] = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
    ];
    if (found.length > 0) return found;
    const failure = v4.status === 'rejected' ? (v4.reason as Error) : v6.status === 'rejected' ? (v6.reason as Error) : undefined;
    throw failure ?? Object.assign(new Error(`${host} has no addresses`), { code: 'ENOTFOUND' });
  };
}
